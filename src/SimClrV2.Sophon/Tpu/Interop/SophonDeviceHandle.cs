using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// A device (<c>bm_handle_t</c>): <c>bm_dev_request</c> / <c>bm_dev_free</c>. Runtimes, device
/// memory and images hold a reference on it, so it is freed only after all of them (the vendor's
/// teardown order).
/// </summary>
internal sealed class SophonDeviceHandle : SafeHandle
{
    public SophonDeviceHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>The device id it was opened with.</summary>
    public int DeviceId { get; private set; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Opens a device.</summary>
    /// <param name="deviceId">0 on a SoC board; 0..count-1 on a PCIe host.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="SophonException">The device cannot be opened.</exception>
    public static unsafe SophonDeviceHandle Open(int deviceId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        SophonLibrary.EnsureLoaded();
        var device = new SophonDeviceHandle { DeviceId = deviceId };
        IntPtr raw = IntPtr.Zero;
        SophonStatus status = SophonNative.bm_dev_request(&raw, deviceId);
        if (status == SophonStatus.Success && raw == IntPtr.Zero)
        {
            status = SophonStatus.Failure;
        }

        if (status != SophonStatus.Success)
        {
            device.SetHandleAsInvalid();
            NativeStatus.Check(
                status, "bm_dev_request", $"SOPHON device {deviceId} could not be opened; check that it exists (SophonRuntime.GetDeviceCount()), that the driver is loaded and that no other process holds it.");
        }

        device.SetHandle(raw);
        return device;
    }

    /// <summary>Waits for all work sent through this device handle by any thread (<c>bm_handle_sync</c>); failures are reported, not thrown (teardown).</summary>
    public SophonStatus Drain() => SophonNative.bm_handle_sync(this);

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        SophonNative.bm_dev_free(handle);
        return true;
    }
}
