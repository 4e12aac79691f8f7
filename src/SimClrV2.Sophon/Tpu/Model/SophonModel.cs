using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Decode.Files;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// A bmodel loaded on one device: the device and runtime handles and the networks' info. Used by
/// <c>simclrv2 inspect</c> and by <see cref="SophonEngine"/> (which creates one per device on that
/// device's worker thread). Disposing destroys the runtime, then frees the device.
/// </summary>
internal sealed class SophonModel : IDisposable
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

    /// <summary>
    /// Loads a bmodel file on a device. The file is checked first (header, model description) so a
    /// damaged file is a clear exception. libsophon v0.5.1 opens bmodel files read-write, so a file
    /// this process may not write (a root-owned install, a read-only mount) is loaded from a private
    /// copy instead.
    /// </summary>
    /// <param name="path">The .bmodel file.</param>
    /// <param name="deviceId">The device (0 on a SoC board).</param>
    /// <returns>The loaded model; dispose it.</returns>
    /// <exception cref="FileNotFoundException">No file at the path.</exception>
    /// <exception cref="InvalidDataException">The path is a folder, a FIFO or a device.</exception>
    /// <exception cref="SophonModelException">The file is not a sound bmodel (truncated, damaged, not a bmodel).</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">The device, runtime or model failed.</exception>
    public static SophonModel Load(string path, int deviceId = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        BModelImage image = BModelImage.CheckFile(path);
        if (!FileStatus.IsWritable(path))
        {
            return LoadReadOnly(path, image, deviceId);
        }

        return Create(Path.GetFullPath(path), path, $"'{path}'", image, deviceId, string.Empty);
    }

    /// <summary>Loads a bmodel from memory on a device, after checking it, through a private copy on disk (libsophon's load from memory ends the process on a damaged buffer; see <see cref="LoadData"/>).</summary>
    /// <param name="data">The bmodel bytes (not kept after the call).</param>
    /// <param name="deviceId">The device.</param>
    /// <returns>The loaded model; dispose it.</returns>
    /// <exception cref="SophonModelException">The bytes are not a sound bmodel.</exception>
    /// <exception cref="SophonException">The device, runtime or model failed.</exception>
    public static SophonModel Load(ReadOnlyMemory<byte> data, int deviceId = 0)
    {
        if (data.IsEmpty)
        {
            throw new ArgumentException("The bmodel data is empty.", nameof(data));
        }

        return LoadData(data, BModelImage.Check(data.Span, "the bmodel data"), "memory", "the bmodel data", deviceId, string.Empty);
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

    private static SophonModel LoadReadOnly(string path, BModelImage image, int deviceId)
    {
        if (image.Length > Array.MaxLength)
        {
            throw new SophonException($"bmodel '{path}' is not writable by this process and, at {image.Length} bytes, too large to load from memory; libsophon v0.5.1 opens bmodel files read-write. Give this user write permission on the file (or copy it to a writable folder) and load it again.");
        }

        byte[] data = File.ReadAllBytes(path);
        BModelImage again = BModelImage.Check(data, $"'{path}'"); // the file may have changed since it was checked
        return LoadData(data, again, path, $"'{path}'", deviceId, " It was loaded from a private copy because this process may not write the file (libsophon v0.5.1 opens bmodel files read-write).");
    }

    /// <summary>
    /// Loads bytes through a private copy on disk, never with <c>bmrt_load_bmodel_data</c>: that
    /// runs the FlatBuffers verifier over the whole model and calls <c>exit(-1)</c> when it fails
    /// (tpu-bmodel/src/bmodel.cpp, the <c>ModelCtx(const void*, size_t)</c> constructor), so damage
    /// deep in the model (stages, tensors, command groups) would end the process; the file loader
    /// (<c>ModelCtx(const string&amp;)</c>) throws instead and the runtime returns false. The copy lives in
    /// a folder only this user may read and is deleted once the runtime has loaded it.
    /// </summary>
    private static SophonModel LoadData(ReadOnlyMemory<byte> data, BModelImage image, string source, string what, int deviceId, string note)
    {
        DirectoryInfo folder;
        string copy;
        try
        {
            folder = Directory.CreateTempSubdirectory("simclrv2-bmodel-"); // 0700 on Unix
            copy = Path.Combine(folder.FullName, "model.bmodel");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var file = new FileStream(copy, create);
            file.Write(data.Span);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SophonException($"{what} is loaded through a private copy in the temporary folder ('{Path.GetTempPath()}'), because libsophon's load from memory ends the process on a damaged model; the copy could not be written ({ex.Message}). Set TMPDIR to a writable folder with room for {data.Length} bytes.", ex);
        }

        try
        {
            return Create(copy, source, what, image, deviceId, note);
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A copy left in the temporary folder is harmless; the load's outcome matters more.
            }
        }
    }

    /// <summary>
    /// Opens the device, creates a runtime, loads <paramref name="file"/> (<c>bmrt_load_bmodel</c>:
    /// the only loader the binding uses) and reads the networks; frees all on failure.
    /// <paramref name="source"/> is what <see cref="Source"/> reports (a path, or "memory"),
    /// <paramref name="what"/> the model in messages.
    /// </summary>
    private static unsafe SophonModel Create(string file, string source, string what, BModelImage image, int deviceId, string note)
    {
        SophonDeviceHandle device = SophonDeviceHandle.Open(deviceId);
        SophonRuntimeHandle? runtime = null;
        try
        {
            runtime = SophonRuntimeHandle.Create(device);
            byte[] utf8 = Encoding.UTF8.GetBytes(file + "\0");
            byte loaded;
            fixed (byte* p = utf8)
            {
                loaded = SophonNative.bmrt_load_bmodel(runtime, p);
            }

            NativeStatus.Check(
                loaded,
                "bmrt_load_bmodel",
                $"{what} (compiled for {image.Chip}, networks {string.Join(", ", image.Networks)}) could not be loaded on device {deviceId}; the runtime printed why on stdout ([BMRT]/[BMODEL] lines). Check that it was compiled for this chip by a TPU-MLIR that matches this libsophon.{note}");
            return new SophonModel(device, runtime, source, ReadNetworks(runtime, source));
        }
        catch
        {
            runtime?.Dispose();
            device.Dispose();
            throw;
        }
    }

    private static unsafe SophonNetworkInfo[] ReadNetworks(SophonRuntimeHandle runtime, string source)
    {
        int count = SophonNative.bmrt_get_network_number(runtime);
        if (count is < 1 or > 1024)
        {
            NativeStatus.Check(SophonStatus.RuntimeFailed, "bmrt_get_network_number", $"'{source}' reports {count} networks; a bmodel has at least one.");
        }

        IntPtr names = IntPtr.Zero;
        SophonNative.bmrt_get_network_names(runtime, &names);
        NativeStatus.Check(names, "bmrt_get_network_names", $"no network names for '{source}'.");

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

        SophonStageLayout layout = SophonLibrary.StageLayout;
        var networks = new SophonNetworkInfo[count];
        for (int i = 0; i < count; i++)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(nameList[i] + "\0");
            fixed (byte* p = utf8)
            {
                IntPtr info = NativeStatus.Check(SophonNative.bmrt_get_network_info(runtime, p), "bmrt_get_network_info", $"no info for network '{nameList[i]}' of '{source}'.");
                networks[i] = SophonNetworkInfo.Read(info, layout);
            }
        }

        return networks;
    }
}
