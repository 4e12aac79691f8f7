using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// One classifier spread over 1, 2 and 4 SOPHON devices (the INT8 batch-4 variant), per image. Pool
/// efficiency = the N-device throughput over N times the 1-device throughput (the sum of the single
/// devices' throughputs when they are alike). Here on the emulator presenting 4 devices, each launch
/// occupying its device for at least 20 ms (<c>SOPHON_EMU_LAUNCH_US</c>), so the devices, not the
/// host, bound throughput as on a board; on an SC7 (three chips) with SIMCLRV2_SOPHON_LIB_DIR and
/// SIMCLRV2_BMODEL_DIR set, use Devices 1 and 2 (and <c>simclrv2 bench --dev-id 0,1,2</c>).
/// </summary>
public class DevicePoolBenchmarks
{
    private const int Images = 512;
    private const long LaunchMicroseconds = 20_000;

    private string? _temporary;
    private ImageClassifier _classifier = null!;
    private IReadOnlyList<ImageInput> _inputs = [];

    [Params(1, 2, 4)]
    public int Devices { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string folder = BenchmarkData.BModelFolder(out _temporary);
        if (Environment.GetEnvironmentVariable(SophonLibrary.DirectoryVariable) is null)
        {
            // The emulator's test hooks (the environment variables are read by native code, which .NET's
            // Environment.SetEnvironmentVariable does not reach on Unix).
            Call<int>("libbmlib.so.0", "bm_emu_set_devices", 4);
            Call<long>("libbmrt.so.1.0", "bm_emu_set_launch_us", LaunchMicroseconds);
        }

        _classifier = SophonImageClassifier.Create(new SophonClassifierOptions
        {
            ModelPath = Path.Combine(folder, EmulatedModels.FileName("int8", 4)),
            DeviceIds = [.. Enumerable.Range(0, Devices)],
        });
        _inputs = [.. Enumerable.Range(0, Images).Select(i => ImageInput.FromPixels(BenchmarkData.RandomPixels(32 * 32 * 3, i), 32, 32, $"r{i}"))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _classifier.Dispose();
        if (_temporary is not null)
        {
            Directory.Delete(_temporary, recursive: true);
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public int Classify() => _classifier.Classify(_inputs).Count;

    private static unsafe void Call<T>(string library, string function, T value)
        where T : unmanaged
    {
        IntPtr handle = NativeLibrary.Load(Path.Combine(BenchmarkData.EmulatorFolder, library));
        ((delegate* unmanaged<T, void>)NativeLibrary.GetExport(handle, function))(value);
    }
}
