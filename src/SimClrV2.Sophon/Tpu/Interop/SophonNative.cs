using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// P/Invoke declarations for the libsophon subset the binding uses: blittable signatures, C
/// <c>bool</c> as one byte, structs by value where the C API takes them by value, statuses typed as
/// <see cref="SophonStatus"/>. Live native resources are passed as their SafeHandles, so the
/// marshaller holds a reference for the length of every call; only the release functions, called
/// from <c>ReleaseHandle</c>, take the raw handle. The library names are resolved by
/// <see cref="SophonLibrary"/> to the versioned sonames. Every status goes through
/// <see cref="NativeStatus"/>.
/// </summary>
internal static partial class SophonNative
{
    public const string BmLib = "bmlib";
    public const string BmRt = "bmrt";
    public const string BmCv = "bmcv";

    // ---- bmlib ----
    [LibraryImport(BmLib, EntryPoint = "bm_dev_getcount")]
    public static unsafe partial SophonStatus bm_dev_getcount(int* count);

    [LibraryImport(BmLib, EntryPoint = "bm_dev_request")]
    public static unsafe partial SophonStatus bm_dev_request(IntPtr* handle, int devid);

    /// <summary>Release function: only from <see cref="SophonDeviceHandle"/>.ReleaseHandle.</summary>
    [LibraryImport(BmLib, EntryPoint = "bm_dev_free")]
    public static partial void bm_dev_free(IntPtr handle);

    [LibraryImport(BmLib, EntryPoint = "bm_get_stat")]
    public static unsafe partial SophonStatus bm_get_stat(SophonDeviceHandle handle, BmDevStat* stat);

    [LibraryImport(BmLib, EntryPoint = "bm_get_chipid")]
    public static unsafe partial SophonStatus bm_get_chipid(SophonDeviceHandle handle, uint* chipid);

    [LibraryImport(BmLib, EntryPoint = "bm_malloc_device_byte")]
    public static unsafe partial SophonStatus bm_malloc_device_byte(SophonDeviceHandle handle, BmDeviceMem* mem, uint size);

    /// <summary>Release function: only from <see cref="DeviceMemoryHandle"/>.ReleaseHandle (its device is kept alive by a reference).</summary>
    [LibraryImport(BmLib, EntryPoint = "bm_free_device")]
    public static partial void bm_free_device(IntPtr handle, BmDeviceMem mem);

    [LibraryImport(BmLib, EntryPoint = "bm_memcpy_s2d_partial")]
    public static unsafe partial SophonStatus bm_memcpy_s2d_partial(SophonDeviceHandle handle, BmDeviceMem dst, void* src, uint size);

    [LibraryImport(BmLib, EntryPoint = "bm_memcpy_d2s_partial")]
    public static unsafe partial SophonStatus bm_memcpy_d2s_partial(SophonDeviceHandle handle, void* dst, BmDeviceMem src, uint size);

    [LibraryImport(BmLib, EntryPoint = "bm_thread_sync")]
    public static partial SophonStatus bm_thread_sync(SophonDeviceHandle handle);

    /// <summary><c>bm_handle_sync</c>: waits for work launched through the handle by any thread.</summary>
    [LibraryImport(BmLib, EntryPoint = "bm_handle_sync")]
    public static partial SophonStatus bm_handle_sync(SophonDeviceHandle handle);

    // ---- bmrt (reports failure as false or NULL; the reason goes to stdout) ----
    [LibraryImport(BmRt, EntryPoint = "bmrt_create")]
    public static partial IntPtr bmrt_create(SophonDeviceHandle handle);

    /// <summary>Release function: only from <see cref="SophonRuntimeHandle"/>.ReleaseHandle.</summary>
    [LibraryImport(BmRt, EntryPoint = "bmrt_destroy")]
    public static partial void bmrt_destroy(IntPtr runtime);

    [LibraryImport(BmRt, EntryPoint = "bmrt_load_bmodel")]
    public static unsafe partial byte bmrt_load_bmodel(SophonRuntimeHandle runtime, byte* path);


    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_number")]
    public static partial int bmrt_get_network_number(SophonRuntimeHandle runtime);

    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_names")]
    public static unsafe partial void bmrt_get_network_names(SophonRuntimeHandle runtime, IntPtr* names);

    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_info")]
    public static unsafe partial IntPtr bmrt_get_network_info(SophonRuntimeHandle runtime, byte* name);

    [LibraryImport(BmRt, EntryPoint = "bmrt_launch_tensor_ex")]
    public static unsafe partial byte bmrt_launch_tensor_ex(
        SophonRuntimeHandle runtime, byte* netName, BmTensor* inputs, int inputNum, BmTensor* outputs, int outputNum, byte userMem, byte userStMode);

    // ---- bmcv (C++ default arguments do not exist over P/Invoke: stride, heap id and algorithm are explicit) ----
    [LibraryImport(BmCv, EntryPoint = "bm_image_create")]
    public static unsafe partial SophonStatus bm_image_create(SophonDeviceHandle handle, int height, int width, BmImageFormat format, BmImageDataType dataType, BmImage* image, int* stride);

    /// <summary>Release function (the BM1684X line's by-value form): only from <see cref="BmImageHandle"/>.ReleaseHandle.</summary>
    [LibraryImport(BmCv, EntryPoint = "bm_image_destroy")]
    public static partial SophonStatus bm_image_destroy(BmImage image);

    [LibraryImport(BmCv, EntryPoint = "bm_image_alloc_dev_mem")]
    public static partial SophonStatus bm_image_alloc_dev_mem(BmImage image, int heapId);

    [LibraryImport(BmCv, EntryPoint = "bm_image_attach")]
    public static unsafe partial SophonStatus bm_image_attach(BmImage image, BmDeviceMem* memory);

    [LibraryImport(BmCv, EntryPoint = "bm_image_copy_host_to_device")]
    public static unsafe partial SophonStatus bm_image_copy_host_to_device(BmImage image, void** buffers);

    /// <summary>
    /// One VPP pass (<c>bmcv_image_vpp_basic</c>, on the BM1684 and the BM1684X): the crop rectangle
    /// (with <paramref name="cropNumVec"/> = 1; both NULL for the whole input) into the padding's
    /// destination rectangle (NULL: the whole output), converting colour with <paramref name="cscType"/>
    /// (<see cref="Bmcv.CscByFormat"/>: YUV input becomes limited-range BT.601).
    /// </summary>
    [LibraryImport(BmCv, EntryPoint = "bmcv_image_vpp_basic")]
    public static unsafe partial SophonStatus bmcv_image_vpp_basic(SophonDeviceHandle handle, int inImgNum, BmImage* input, BmImage* output, int* cropNumVec, BmcvRect* crop, BmcvPaddingAttr* padding, int algorithm, int cscType, void* matrix);

    /// <summary>The JPU: decodes up to 4 JPEGs into bm_images it creates (zero-filled dst): the stream's own YUV format, or BGR_PACKED for streams decoded in software; the caller destroys them, also one a failed call left created.</summary>
    [LibraryImport(BmCv, EntryPoint = "bmcv_image_jpeg_dec")]
    public static unsafe partial SophonStatus bmcv_image_jpeg_dec(SophonDeviceHandle handle, void** jpegData, nuint* sizes, int imageNum, BmImage* dst, int bsInDevice);

    [LibraryImport(BmCv, EntryPoint = "bmcv_image_convert_to")]
    public static unsafe partial SophonStatus bmcv_image_convert_to(SophonDeviceHandle handle, int inputNum, BmcvConvertToAttr attr, BmImage* input, BmImage* output);
}
