using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// One batch-4 launch on the libsophon emulator with a trivial network (Models/trivial-classifier.onnx),
/// per batch. NativeLaunchAndSync is the bare native sequence on the calling thread (copy in,
/// bmrt_launch_tensor_ex, bm_thread_sync, copy out); EngineRunOnCallingThread is the engine's launch
/// without the thread hand-off (validation, the same native calls, dequantisation): its difference
/// from the baseline is the managed cost per launch; EngineRun adds the hand-off to the device's
/// worker thread. Needs the emulator built (dotnet build the tests, or cmake) or
/// SIMCLRV2_SOPHON_LIB_DIR pointing at libsophon.
/// </summary>
[MemoryDiagnoser]
public class SophonLaunchBenchmarks
{
    private string _folder = string.Empty;
    private SophonEngine _engine = null!;
    private InferenceBatch _batch = null!;
    private SophonModel _model = null!;
    private DeviceMemoryHandle _input = null!;
    private DeviceMemoryHandle _output = null!;
    private byte[] _host = [];
    private readonly byte[] _logits = new byte[40 * 4];
    private readonly byte[] _net = "trivial\0"u8.ToArray();

    [GlobalSetup]
    public void Setup()
    {
        string root = BenchmarkData.RepoRoot;
        BenchmarkData.UseEmulator();

        _folder = Directory.CreateTempSubdirectory("simclrv2-bench-").FullName;
        string bmodel = Path.Combine(_folder, "trivial_fp32_4b.bmodel");
        SimClrV2.Sophon.TestSupport.EmulatedModels.WriteBModel(bmodel, $"# sophon-emulator bmodel 1\nnet=trivial\nonnx={Path.Combine(root, "benchmarks", "SimClrV2.Sophon.Benchmarks", "Models", "trivial-classifier.onnx")}\ninput=input FLOAT32 1\noutput=logits FLOAT32 1\nstage=4x3x32x32 4x10\n");
        _engine = new SophonEngine(new SophonClassifierOptions { ModelPath = bmodel });
        _batch = _engine.RentBatch();
        _model = SophonModel.Load(bmodel);
        _input = DeviceMemoryHandle.Allocate(_model.Runtime, 4 * 3 * 32 * 32 * 4);
        _output = DeviceMemoryHandle.Allocate(_model.Runtime, 4 * 10 * 4);
        _host = new byte[4 * 3 * 32 * 32 * 4];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.ReturnBatch(_batch);
        _engine.Dispose();
        _input.Dispose();
        _output.Dispose();
        _model.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public unsafe int NativeLaunchAndSync()
    {
        SophonDeviceHandle device = _model.Device;
        int status;
        fixed (byte* host = _host)
        {
            status = (int)SophonNative.bm_memcpy_s2d_partial(device, _input.Memory, host, (uint)_host.Length);
        }

        int[] dims = [4, 3, 32, 32];
        BmTensor input = new() { DType = 0, Shape = BmShape.From(dims), DeviceMem = _input.Memory };
        BmTensor output = new() { DType = 0, DeviceMem = _output.Memory };
        fixed (byte* net = _net)
        {
            status |= SophonNative.bmrt_launch_tensor_ex(_model.Runtime, net, &input, 1, &output, 1, 1, 0) == 1 ? 0 : 1;
        }

        status |= (int)SophonNative.bm_thread_sync(device);
        fixed (byte* logits = _logits)
        {
            status |= (int)SophonNative.bm_memcpy_d2s_partial(device, logits, _output.Memory, (uint)_logits.Length);
        }

        return status;
    }

    /// <summary>The engine's launch without the hand-off: validation, P/Invoke, copies, sync, dequantisation.</summary>
    [Benchmark]
    public int EngineRunOnCallingThread()
    {
        _engine.RunOnCallingThread(_batch, 4);
        return _batch.Capacity;
    }

    [Benchmark]
    public int EngineRun()
    {
        _engine.Run(_batch, 4);
        return _batch.Capacity;
    }
}
