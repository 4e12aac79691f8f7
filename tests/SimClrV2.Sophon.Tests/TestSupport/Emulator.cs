using System.Runtime.InteropServices;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>
/// The project's libsophon emulator (native/sophon-emulator, built with the tests) and its test
/// controls: outstanding device allocations, fault injection, device count. The binding loads it
/// through its normal search path (an explicit folder), exactly as it loads the real libraries.
/// </summary>
internal static unsafe class Emulator
{
    private static readonly Lazy<IntPtr> Library = new(() => NativeLibrary.Load(Path.Combine(Folder, "libbmlib.so.0")));
    private static readonly Lazy<string> ModelFolder = new(CreateModels);

    public static string Folder => Path.Combine(TestData.RepoRoot, "native", "sophon-emulator", "build");

    /// <summary>The six emulated bmodels (fp32/fp16/int8 x 1b/4b) of the default model, made once per run.</summary>
    public static string Model(string precision, int batch) => Path.Combine(ModelFolder.Value, EmulatedModels.FileName(precision, batch));

    /// <summary>Points the binding at the emulator, or skips the test saying how to build it.</summary>
    public static void Require()
    {
        if (!File.Exists(Path.Combine(Folder, "libbmlib.so.0")) || !File.Exists(Path.Combine(Folder, "libbmrt.so.1.0")))
        {
            Assert.Ignore($"The libsophon emulator is not built in {Folder}; the test project builds it with cmake, a C compiler and libjpeg (apt-get install cmake gcc libjpeg-dev), or run: cmake -S native/sophon-emulator -B native/sophon-emulator/build -DORT_ROOT=<the Microsoft.ML.OnnxRuntime package folder> && cmake --build native/sophon-emulator/build");
        }

        SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = Folder });
    }

    public static (int Count, ulong Bytes) Outstanding()
    {
        var f = (delegate* unmanaged<int*, ulong*, void>)NativeLibrary.GetExport(Library.Value, "bm_emu_outstanding");
        int count;
        ulong bytes;
        f(&count, &bytes);
        return (count, bytes);
    }

    /// <summary>Launches the emulator's bm_dev_free discarded without a sync, since the process started.</summary>
    public static int Unsynced()
    {
        var f = (delegate* unmanaged<int>)NativeLibrary.GetExport(Library.Value, "bm_emu_unsynced");
        return f();
    }

    public static void SetFaults(string? spec)
    {
        var f = (delegate* unmanaged<byte*, void>)NativeLibrary.GetExport(Library.Value, "bm_emu_set_faults");
        if (spec is null)
        {
            f(null);
            return;
        }

        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(spec + "\0");
        fixed (byte* p = utf8)
        {
            f(p);
        }
    }

    /// <summary>Deletes the emulated bmodels made for this run, if any.</summary>
    public static void DeleteModels()
    {
        if (ModelFolder.IsValueCreated && Directory.Exists(ModelFolder.Value))
        {
            Directory.Delete(ModelFolder.Value, recursive: true);
        }
    }

    /// <summary>Which bmcv line the emulated libbmcv reports (<c>bm_get_bmcv_version</c>); null: the BM1684X line.</summary>
    public static void SetBmcvVersion(string? version)
    {
        IntPtr bmcv = NativeLibrary.Load(Path.Combine(Folder, "libbmcv.so.0"));
        var f = (delegate* unmanaged<byte*, void>)NativeLibrary.GetExport(bmcv, "bm_emu_set_bmcv_version");
        byte[]? utf8 = version is null ? null : System.Text.Encoding.UTF8.GetBytes(version + "\0");
        fixed (byte* p = utf8)
        {
            f(p);
        }
    }

    /// <summary>
    /// Writes an emulated bmodel of the default ONNX model (named by absolute path, so it also loads
    /// from memory) with the given tensors (<c>NAME TYPE SCALE [ZERO_POINT]</c>) and stages.
    /// </summary>
    public static string WriteModel(string path, string net, string input, string output, params string[] stages)
    {
        string text = $"# sophon-emulator bmodel 1\nnet={net}\nonnx={TestData.DefaultModel}\ninput={input}\noutput={output}\n"
            + string.Concat(stages.Select(s => $"stage={s}\n"));
        EmulatedModels.WriteBModel(path, text);
        return path;
    }

    /// <summary>The chip the emulator is (0x1686 BM1684X, 0x1684 BM1684; 0: the default, BM1684X).</summary>
    public static void SetChip(uint chip)
    {
        var f = (delegate* unmanaged<uint, void>)NativeLibrary.GetExport(Library.Value, "bm_emu_set_chip");
        f(chip);
    }

    public static void SetDevices(int count)
    {
        var f = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(Library.Value, "bm_emu_set_devices");
        f(count);
    }

    /// <summary>The calibration images of the emulated models: 100 CIFAR-10 test images, else the sample photos.</summary>
    public static IReadOnlyList<ImageInput> Calibration()
    {
        string pickle = Path.Combine(TestData.CifarDir, "test_batch");
        return File.Exists(pickle) ? EmulatedModels.CalibrationFrom(pickle, 100) : ImageInputs.FromFolder(TestData.SampleImages);
    }

    private static string CreateModels()
    {
        string folder = Path.Combine(Path.GetTempPath(), "simclrv2-emulated-" + Environment.ProcessId);
        EmulatedModels.Write(TestData.DefaultModel, folder, Calibration());
        return folder;
    }
}
