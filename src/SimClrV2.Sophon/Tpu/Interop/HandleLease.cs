using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// A reference on a <see cref="SafeHandle"/> held for the duration of a native call that uses what
/// the handle owns by value (a <c>bm_device_mem_t</c>, a <c>bm_image</c>): a <c>Dispose</c> on another
/// thread then frees the resource only after the call returns, never during it. Taking the lease on
/// a handle already disposed throws <see cref="ObjectDisposedException"/>.
/// </summary>
internal readonly ref struct HandleLease
{
    private readonly SafeHandle _handle;

    public HandleLease(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public void Dispose() => _handle.DangerousRelease();
}
