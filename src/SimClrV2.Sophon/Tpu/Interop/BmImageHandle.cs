using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// A <c>bm_image</c> (<c>bm_image_create</c> / <c>bm_image_destroy</c>, exactly once: destroy takes
/// the image by value, so a second destroy would be a use after free). Device memory allocated for
/// the image is freed by its destroy; memory attached to it stays owned by its own handle, which
/// this handle keeps alive (a reference) until the image is destroyed. Holds its device alive too.
/// </summary>
internal sealed class BmImageHandle : SafeHandle
{

    private SophonDeviceHandle? _device;
    private DeviceMemoryHandle? _attached;
    private BmImage _image;

    public BmImageHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>The image struct to pass to bmcv.</summary>
    public BmImage Image => _image;

    /// <summary>Whether the image holds YUV (or grey) data, which the VPP converts with a colour matrix.</summary>
    public bool IsYuv => Bmcv.IsYuv(_image.ImageFormat);

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates an image (no device memory yet).</summary>
    /// <param name="device">The device.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="format">A bm_image_format_ext value.</param>
    /// <param name="dataType">A bm_image_data_format_ext value.</param>
    /// <param name="stride">Bytes per row of its plane.</param>
    /// <returns>The image.</returns>
    public static unsafe BmImageHandle Create(SophonDeviceHandle device, int width, int height, BmImageFormat format, BmImageDataType dataType, int stride)
    {
        ArgumentNullException.ThrowIfNull(device);
        BmImageHandle image = Begin(device);
        BmImage raw = default;
        SophonStatus status = SophonNative.bm_image_create(device, height, width, format, dataType, &raw, &stride);
        return image.Complete(
            device, status, raw, "bm_image_create", $"a {width}x{height} image (format {format}, data type {dataType}, stride {stride}) could not be created on device {device.DeviceId}.");
    }

    /// <summary>
    /// Decodes a JPEG on the device (<c>bmcv_image_jpeg_dec</c>, one image per call): the call
    /// creates the image with memory of its own, in the stream's own YUV format when the JPU decodes
    /// it, as <c>FORMAT_BGR_PACKED</c> when libbmcv decodes it in software (progressive, smaller than
    /// 16x16, 4:1:1, ...: its <c>determine_hw_decoding</c>); this handle destroys it. A failed call
    /// can leave the image it created behind (<c>bmcv_jpeg_dec_one_image</c> returns without
    /// destroying it): that one is destroyed here before the exception.
    /// </summary>
    /// <exception cref="SophonException">libbmcv refused the stream (usually <c>BM_ERR_FAILURE</c>: a header it cannot read, or a decode the JPU failed).</exception>
    public static unsafe BmImageHandle DecodeJpeg(SophonDeviceHandle device, ReadOnlySpan<byte> jpeg)
    {
        ArgumentNullException.ThrowIfNull(device);
        BmImageHandle image = Begin(device);
        BmImage raw = default; // zero-filled: bmcv creates it
        SophonStatus status;
        fixed (byte* p = jpeg)
        {
            void* data = p;
            nuint size = (nuint)jpeg.Length;
            status = SophonNative.bmcv_image_jpeg_dec(device, &data, &size, 1, &raw, 0);
        }

        if (status != SophonStatus.Success && raw.ImagePrivate != IntPtr.Zero)
        {
            _ = SophonNative.bm_image_destroy(raw); // what the failed call created; the status reported is the decode's
            raw = default;
        }

        return image.Complete(
            device, status, raw, "bmcv_image_jpeg_dec", $"a {jpeg.Length}-byte JPEG could not be decoded on device {device.DeviceId}; a corrupt or truncated stream fails here, decode it on the CPU to see why.");
    }

    /// <summary>A handle for an image about to be created, holding a reference on its device.</summary>
    private static BmImageHandle Begin(SophonDeviceHandle device)
    {
        var image = new BmImageHandle();
        bool added = false;
        device.DangerousAddRef(ref added);
        return image;
    }

    /// <summary>Takes the created image, or releases the device reference and throws naming the call.</summary>
    private BmImageHandle Complete(SophonDeviceHandle device, SophonStatus status, BmImage raw, string function, string failure)
    {
        if (status == SophonStatus.Success && raw.ImagePrivate == IntPtr.Zero)
        {
            status = SophonStatus.Failure;
        }

        if (status != SophonStatus.Success)
        {
            device.DangerousRelease();
            SetHandleAsInvalid();
            NativeStatus.Check(status, function, failure);
        }

        _device = device;
        _image = raw;
        SetHandle(raw.ImagePrivate);
        return this;
    }

    /// <summary>A reference on this image for the duration of a native call that takes <see cref="Image"/> (see <see cref="HandleLease"/>).</summary>
    public HandleLease Lease() => new(this);

    /// <summary>Gives the image device memory of its own (freed with the image).</summary>
    public void AllocateDeviceMemory()
    {
        using HandleLease lease = Lease();
        Check("bm_image_alloc_dev_mem", SophonNative.bm_image_alloc_dev_mem(_image, Bmcv.HeapAny));
    }

    /// <summary>Makes a range of existing device memory the image's memory (not owned: it stays alive while the image is).</summary>
    /// <param name="memory">The owner of the memory.</param>
    /// <param name="offset">Byte offset in it.</param>
    /// <param name="size">Bytes the image uses.</param>
    public unsafe void Attach(DeviceMemoryHandle memory, long offset, uint size)
    {
        ArgumentNullException.ThrowIfNull(memory);
        using HandleLease lease = Lease();
        BmDeviceMem slice = memory.Slice(offset, size);
        bool added = false;
        memory.DangerousAddRef(ref added);
        SophonStatus status = SophonNative.bm_image_attach(_image, &slice);
        if (status != SophonStatus.Success)
        {
            memory.DangerousRelease();
            Check("bm_image_attach", status);
        }

        _attached?.DangerousRelease();
        _attached = memory;
    }

    /// <summary>Copies host bytes (one plane, laid out with the image's stride) to the image's device memory.</summary>
    public unsafe void CopyFromHost(ReadOnlySpan<byte> plane)
    {
        using HandleLease lease = Lease();
        fixed (byte* p = plane)
        {
            void* buffer = p;
            Check("bm_image_copy_host_to_device", SophonNative.bm_image_copy_host_to_device(_image, &buffer));
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        bool destroyed = SophonNative.bm_image_destroy(_image) == SophonStatus.Success;
        _attached?.DangerousRelease();
        _device?.DangerousRelease();
        return destroyed;
    }

    private void Check(string function, SophonStatus status) =>
        NativeStatus.Check(status, function, $"on a {_image.Width}x{_image.Height} image of device {_device?.DeviceId}.");
}
