using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// A bmodel loaded on one device: the device and runtime handles and the networks' info. Used by
/// <c>simclrv2 inspect</c> and by <see cref="SophonEngine"/> (which creates one per device on that
/// device's worker thread). Disposing destroys the runtime, then frees the device.
/// </summary>
public sealed class SophonModel : IDisposable
{
    private SophonModel(SophonDeviceHandle device, SophonRuntimeHandle runtime, string source, IReadOnlyList<SophonNetworkInfo> networks)
    {
        Device = device;
        Runtime = runtime;
        Source = source;
        Networks = networks;
    }

    /// <summary>The path (or "memory") the model came from.</summary>
    public string Source { get; }

    /// <summary>The device id.</summary>
    public int DeviceId => Device.DeviceId;

    /// <summary>The networks in the bmodel, in load order.</summary>
    public IReadOnlyList<SophonNetworkInfo> Networks { get; }

    internal SophonDeviceHandle Device { get; }

    internal SophonRuntimeHandle Runtime { get; }

    /// <summary>Loads a bmodel file on a device.</summary>
    /// <param name="path">The .bmodel file.</param>
    /// <param name="deviceId">The device (0 on a SoC board).</param>
    /// <returns>The loaded model; dispose it.</returns>
    /// <exception cref="FileNotFoundException">No file at the path.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">The device, runtime or model failed.</exception>
    public static unsafe SophonModel Load(string path, int deviceId = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"bmodel '{path}' does not exist.", path);
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(Path.GetFullPath(path) + "\0");
        return Create(path, deviceId, "bmrt_load_bmodel", runtime =>
        {
            fixed (byte* p = utf8)
            {
                return SophonNative.bmrt_load_bmodel(runtime, p) != 0;
            }
        });
    }

    /// <summary>Loads a bmodel from memory on a device.</summary>
    /// <param name="data">The bmodel bytes.</param>
    /// <param name="deviceId">The device.</param>
    /// <returns>The loaded model; dispose it.</returns>
    public static unsafe SophonModel Load(ReadOnlyMemory<byte> data, int deviceId = 0)
    {
        if (data.IsEmpty)
        {
            throw new ArgumentException("The bmodel data is empty.", nameof(data));
        }

        return Create("memory", deviceId, "bmrt_load_bmodel_data", runtime =>
        {
            fixed (byte* p = data.Span)
            {
                return SophonNative.bmrt_load_bmodel_data(runtime, p, (nuint)data.Length) != 0;
            }
        });
    }

    /// <summary>The info of a network by name, or the first network when name is null.</summary>
    /// <param name="name">The network name.</param>
    /// <returns>The info.</returns>
    /// <exception cref="SophonModelException">No such network.</exception>
    public SophonNetworkInfo GetNetwork(string? name = null) =>
        name is null
            ? Networks[0]
            : Networks.FirstOrDefault(n => n.Name == name) ?? throw new SophonModelException($"'{Source}' has no network '{name}'; it has: {string.Join(", ", Networks.Select(n => $"'{n.Name}'"))}.");

    /// <inheritdoc />
    public void Dispose()
    {
        Runtime.Dispose();
        Device.Dispose();
    }

    private static SophonModel Create(string source, int deviceId, string loadFunction, Func<IntPtr, bool> load)
    {
        SophonDeviceHandle device = SophonDeviceHandle.Open(deviceId);
        SophonRuntimeHandle? runtime = null;
        try
        {
            runtime = SophonRuntimeHandle.Create(device);
            if (!load(runtime.DangerousGetHandle()))
            {
                throw new SophonException(loadFunction, -1, $"'{source}' could not be loaded on device {deviceId}; the runtime printed why on stdout ([BMRT] lines). Check that it is a bmodel compiled for BM1684X by a TPU-MLIR that matches this libsophon.");
            }

            return new SophonModel(device, runtime, source, ReadNetworks(runtime.DangerousGetHandle(), source));
        }
        catch
        {
            runtime?.Dispose();
            device.Dispose();
            throw;
        }
    }

    private static unsafe SophonNetworkInfo[] ReadNetworks(IntPtr runtime, string source)
    {
        int count = SophonNative.bmrt_get_network_number(runtime);
        if (count is < 1 or > 1024)
        {
            throw new SophonException("bmrt_get_network_number", count, $"'{source}' reports {count} networks; a bmodel has at least one.");
        }

        IntPtr names = IntPtr.Zero;
        SophonNative.bmrt_get_network_names(runtime, &names);
        if (names == IntPtr.Zero)
        {
            throw new SophonException("bmrt_get_network_names", -1, $"no network names for '{source}'.");
        }

        var nameList = new string[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                nameList[i] = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(names, i * IntPtr.Size))
                    ?? throw new SophonModelException($"'{source}': network name {i} is NULL.");
            }
        }
        finally
        {
            NativeMemory.Free((void*)names); // the array is malloc'ed by bmrt; the strings are the runtime's
        }

        bool extended = SophonLibrary.HasExtendedStageLayout;
        var networks = new SophonNetworkInfo[count];
        for (int i = 0; i < count; i++)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(nameList[i] + "\0");
            fixed (byte* p = utf8)
            {
                IntPtr info = SophonNative.bmrt_get_network_info(runtime, p);
                if (info == IntPtr.Zero)
                {
                    throw new SophonException("bmrt_get_network_info", -1, $"no info for network '{nameList[i]}' of '{source}'.");
                }

                networks[i] = SophonNetworkInfo.Read(info, extended);
            }
        }

        return networks;
    }
}
