using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// P/Invoke declarations for the libsophon subset the binding uses: blittable signatures only,
/// C <c>bool</c> as one byte, structs by value where the C API takes them by value. The library
/// names are resolved by <see cref="SophonLibrary"/> to the versioned sonames.
/// </summary>
internal static partial class SophonNative
{
    public const string BmLib = "bmlib";
    public const string BmRt = "bmrt";
    public const string BmCv = "bmcv";

    // ---- bmlib ----
    [LibraryImport(BmLib, EntryPoint = "bm_dev_getcount")]
    public static unsafe partial int bm_dev_getcount(int* count);

    [LibraryImport(BmLib, EntryPoint = "bm_dev_request")]
    public static unsafe partial int bm_dev_request(IntPtr* handle, int devid);

    [LibraryImport(BmLib, EntryPoint = "bm_dev_free")]
    public static partial void bm_dev_free(IntPtr handle);

    [LibraryImport(BmLib, EntryPoint = "bm_get_chipid")]
    public static unsafe partial int bm_get_chipid(IntPtr handle, uint* chipid);

    [LibraryImport(BmLib, EntryPoint = "bm_malloc_device_byte")]
    public static unsafe partial int bm_malloc_device_byte(IntPtr handle, BmDeviceMem* mem, uint size);

    [LibraryImport(BmLib, EntryPoint = "bm_free_device")]
    public static partial void bm_free_device(IntPtr handle, BmDeviceMem mem);

    [LibraryImport(BmLib, EntryPoint = "bm_memcpy_s2d_partial")]
    public static unsafe partial int bm_memcpy_s2d_partial(IntPtr handle, BmDeviceMem dst, void* src, uint size);

    [LibraryImport(BmLib, EntryPoint = "bm_memcpy_d2s_partial")]
    public static unsafe partial int bm_memcpy_d2s_partial(IntPtr handle, void* dst, BmDeviceMem src, uint size);

    [LibraryImport(BmLib, EntryPoint = "bm_thread_sync")]
    public static partial int bm_thread_sync(IntPtr handle);

    /// <summary><c>bm_handle_sync</c>: waits for work launched through the handle by any thread.</summary>
    [LibraryImport(BmLib, EntryPoint = "bm_handle_sync")]
    public static partial int bm_handle_sync(IntPtr handle);

    // ---- bmrt ----
    [LibraryImport(BmRt, EntryPoint = "bmrt_create")]
    public static partial IntPtr bmrt_create(IntPtr handle);

    [LibraryImport(BmRt, EntryPoint = "bmrt_destroy")]
    public static partial void bmrt_destroy(IntPtr runtime);

    [LibraryImport(BmRt, EntryPoint = "bmrt_load_bmodel")]
    public static unsafe partial byte bmrt_load_bmodel(IntPtr runtime, byte* path);

    [LibraryImport(BmRt, EntryPoint = "bmrt_load_bmodel_data")]
    public static unsafe partial byte bmrt_load_bmodel_data(IntPtr runtime, void* data, nuint size);

    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_number")]
    public static partial int bmrt_get_network_number(IntPtr runtime);

    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_names")]
    public static unsafe partial void bmrt_get_network_names(IntPtr runtime, IntPtr* names);

    [LibraryImport(BmRt, EntryPoint = "bmrt_get_network_info")]
    public static unsafe partial IntPtr bmrt_get_network_info(IntPtr runtime, byte* name);

    [LibraryImport(BmRt, EntryPoint = "bmrt_launch_tensor_ex")]
    public static unsafe partial byte bmrt_launch_tensor_ex(
        IntPtr runtime, byte* netName, BmTensor* inputs, int inputNum, BmTensor* outputs, int outputNum, byte userMem, byte userStMode);

    // ---- bmcv (C++ default arguments do not exist over P/Invoke: stride, heap id and algorithm are explicit) ----
    [LibraryImport(BmCv, EntryPoint = "bm_image_create")]
    public static unsafe partial int bm_image_create(IntPtr handle, int height, int width, int format, int dataType, BmImage* image, int* stride);

    [LibraryImport(BmCv, EntryPoint = "bm_image_destroy")]
    public static partial int bm_image_destroy(BmImage image);

    [LibraryImport(BmCv, EntryPoint = "bm_image_alloc_dev_mem")]
    public static partial int bm_image_alloc_dev_mem(BmImage image, int heapId);

    [LibraryImport(BmCv, EntryPoint = "bm_image_attach")]
    public static unsafe partial int bm_image_attach(BmImage image, BmDeviceMem* memory);

    [LibraryImport(BmCv, EntryPoint = "bm_image_get_device_mem")]
    public static unsafe partial int bm_image_get_device_mem(BmImage image, BmDeviceMem* memory);

    [LibraryImport(BmCv, EntryPoint = "bm_image_copy_host_to_device")]
    public static unsafe partial int bm_image_copy_host_to_device(BmImage image, void** buffers);

    [LibraryImport(BmCv, EntryPoint = "bmcv_image_vpp_convert")]
    public static unsafe partial int bmcv_image_vpp_convert(IntPtr handle, int outputNum, BmImage input, BmImage* output, void* crop, int algorithm);

    [LibraryImport(BmCv, EntryPoint = "bmcv_image_convert_to")]
    public static unsafe partial int bmcv_image_convert_to(IntPtr handle, int inputNum, BmcvConvertToAttr attr, BmImage* input, BmImage* output);
}
