using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// Device memory (<c>bm_malloc_device_byte</c> / <c>bm_free_device</c> through the same device).
/// Holds a reference on the runtime it serves, so memory is always freed before its runtime is
/// destroyed, and the runtime before the device: the vendor's order, also from finalizers.
/// </summary>
internal sealed class DeviceMemoryHandle : SafeHandle
{
    private SophonRuntimeHandle? _runtime;
    private BmDeviceMem _memory;

    public DeviceMemoryHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>The <c>bm_device_mem_t</c> to pass to native calls.</summary>
    public BmDeviceMem Memory => _memory;

    /// <summary>Size in bytes.</summary>
    public uint Size => _memory.Size;

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Allocates device memory on the runtime's device.</summary>
    /// <param name="runtime">The runtime whose launches use the memory.</param>
    /// <param name="size">Bytes (1..uint.MaxValue).</param>
    /// <returns>The memory.</returns>
    /// <exception cref="SophonException">The allocation failed.</exception>
    public static unsafe DeviceMemoryHandle Allocate(SophonRuntimeHandle runtime, long size)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, uint.MaxValue);
        var memory = new DeviceMemoryHandle();
        bool added = false;
        runtime.DangerousAddRef(ref added);
        BmDeviceMem mem = default;
        SophonStatus status = SophonNative.bm_malloc_device_byte(runtime.Device, &mem, (uint)size);
        if (status != SophonStatus.Success)
        {
            runtime.DangerousRelease();
            memory.SetHandleAsInvalid();
            NativeStatus.Check(status, "bm_malloc_device_byte", $"{size} bytes of device memory could not be allocated on device {runtime.Device.DeviceId}; check free device memory (another process may hold it).");
        }

        memory._runtime = runtime;
        memory._memory = mem;
        memory.SetHandle(new IntPtr(1)); // valid marker: the resource is the struct, not a pointer
        return memory;
    }

    /// <summary>The device the memory is on.</summary>
    public SophonDeviceHandle Device => _runtime?.Device ?? throw new ObjectDisposedException(nameof(DeviceMemoryHandle));

    /// <summary>A reference on this memory for the duration of a native call that uses <see cref="Memory"/> (see <see cref="HandleLease"/>).</summary>
    public HandleLease Lease() => new(this);

    /// <summary>The memory of bytes <paramref name="offset"/>.. <paramref name="offset"/> + <paramref name="size"/>, bounds-checked.</summary>
    public BmDeviceMem Slice(long offset, uint size)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (offset < 0 || offset + size > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + size} do not fit a {Size}-byte device buffer.");
        }

        BmDeviceMem slice = _memory;
        slice.DeviceAddress += (ulong)offset;
        slice.Size = size;
        return slice;
    }

    /// <summary>Copies host bytes to the memory at an offset (<c>bm_memcpy_s2d_partial</c>).</summary>
    public unsafe void CopyFromHost(ReadOnlySpan<byte> source, long offset = 0)
    {
        using HandleLease lease = Lease();
        BmDeviceMem target = Slice(offset, (uint)source.Length);
        fixed (byte* p = source)
        {
            NativeStatus.Check(SophonNative.bm_memcpy_s2d_partial(Device, target, p, (uint)source.Length), "bm_memcpy_s2d_partial", $"copying {source.Length} bytes to device {Device.DeviceId}.");
        }
    }

    /// <summary>Copies bytes of the memory from an offset to the host (<c>bm_memcpy_d2s_partial</c>).</summary>
    public unsafe void CopyToHost(Span<byte> destination, long offset = 0)
    {
        using HandleLease lease = Lease();
        BmDeviceMem source = Slice(offset, (uint)destination.Length);
        fixed (byte* p = destination)
        {
            NativeStatus.Check(SophonNative.bm_memcpy_d2s_partial(Device, p, source, (uint)destination.Length), "bm_memcpy_d2s_partial", $"copying {destination.Length} bytes from device {Device.DeviceId}.");
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        if (_runtime is not null)
        {
            SophonNative.bm_free_device(_runtime.Device.DangerousGetHandle(), _memory);
            _runtime.DangerousRelease();
        }

        return true;
    }
}
