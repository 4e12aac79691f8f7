using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// A model runtime (<c>bmrt_create</c> / <c>bmrt_destroy</c>). Holds a reference on its device,
/// released after <c>bmrt_destroy</c>, so the device always outlives it.
/// </summary>
internal sealed class SophonRuntimeHandle : SafeHandle
{
    private SophonDeviceHandle? _device;

    public SophonRuntimeHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>The device the runtime runs on.</summary>
    public SophonDeviceHandle Device => _device ?? throw new ObjectDisposedException(nameof(SophonRuntimeHandle));

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a runtime on a device.</summary>
    /// <param name="device">An open device.</param>
    /// <returns>The runtime.</returns>
    /// <exception cref="SophonException">bmrt_create returned NULL.</exception>
    public static SophonRuntimeHandle Create(SophonDeviceHandle device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var runtime = new SophonRuntimeHandle();
        bool added = false;
        device.DangerousAddRef(ref added);
        IntPtr raw = SophonNative.bmrt_create(device);
        if (raw == IntPtr.Zero)
        {
            device.DangerousRelease();
            runtime.SetHandleAsInvalid();
            NativeStatus.Check(raw, "bmrt_create", $"no runtime on device {device.DeviceId}; the runtime printed the reason on stdout ([BMRT] lines). Check the libsophon installation and the device's memory.");
        }

        runtime._device = device;
        runtime.SetHandle(raw);
        return runtime;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        SophonNative.bmrt_destroy(handle);
        _device?.DangerousRelease();
        return true;
    }
}
