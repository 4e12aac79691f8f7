using System.Runtime.CompilerServices;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>Where the benchmarks find the repository's model and emulator, and the shared CIFAR-10 data.</summary>
internal static class BenchmarkData
{
    public static string RepoRoot { get; } = FindRoot();

    public static string DefaultModel => Path.Combine(RepoRoot, "samples", "models", "simclrv2-r18w025-cifar10.onnx");

    public static string SampleImages => Path.Combine(RepoRoot, "samples", "images");

    public static string EmulatorFolder => Path.Combine(RepoRoot, "native", "sophon-emulator", "build");

    /// <summary>The CIFAR-10 file under ../shared, or an exception saying where it was looked for.</summary>
    public static string Cifar(string file)
    {
        string path = Path.Combine(Environment.GetEnvironmentVariable("SIMCLRV2_SHARED") ?? Path.Combine(RepoRoot, "..", "shared"), "data", "cifar10", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"This benchmark reads the CIFAR-10 '{file}' from ../shared/data/cifar10 beside the repository (or $SIMCLRV2_SHARED); it is absent.", path);
    }

    /// <summary>Random pixels from a seed (for suites that need no real images).</summary>
    public static byte[] RandomPixels(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A fixed set of CIFAR-10 test images (evenly spaced), in memory.</summary>
    public static IReadOnlyList<ImageInput> CifarImages(int count)
    {
        IReadOnlyList<ImageInput> all = CifarDataset.ReadPickle(Cifar("test_batch")).ToInputs();
        return Enumerable.Range(0, count).Select(i => all[i * all.Count / count]).ToList();
    }

    /// <summary>
    /// The folder of the six bmodels: SIMCLRV2_BMODEL_DIR (real ones on a board), else emulated ones
    /// written now into a temporary folder, returned in <paramref name="temporary"/> for deletion.
    /// </summary>
    public static string BModelFolder(out string? temporary)
    {
        UseEmulator();
        temporary = null;
        if (Environment.GetEnvironmentVariable("SIMCLRV2_BMODEL_DIR") is { Length: > 0 } folder)
        {
            return folder;
        }

        temporary = Directory.CreateTempSubdirectory("simclrv2-bench-").FullName;
        SimClrV2.Sophon.TestSupport.EmulatedModels.Write(DefaultModel, temporary, ImageInputs.FromFolder(SampleImages));
        return temporary;
    }

    /// <summary>Points the SOPHON binding at the emulator unless SIMCLRV2_SOPHON_LIB_DIR names libsophon.</summary>
    public static void UseEmulator()
    {
        if (Environment.GetEnvironmentVariable(SophonLibrary.DirectoryVariable) is null)
        {
            SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = EmulatorFolder });
        }
    }

    private static string FindRoot([CallerFilePath] string source = "")
    {
        for (string? dir = Path.GetDirectoryName(source); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "SimClrV2.Sophon.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Run the benchmarks from a clone of the repository (the model and the emulator live there).");
    }
}
