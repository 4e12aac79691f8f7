using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.OnnxRuntime;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Inference stage on ONNX Runtime, per image, with the default model: each invocation runs 4
/// images (four batches of 1 or one batch of 4). Baseline: a bare <c>InferenceSession.Run</c> on
/// preallocated tensors; our engine's overhead over it is the ratio. Model: the shipped default
/// always; the reference architecture (ResNet-50, CIFAR stem, 2048 -> 10) too when
/// SIMCLRV2_REFERENCE_ONNX names its ONNX export (native/model tooling, random weights will do).
/// </summary>
[MemoryDiagnoser]
public class OnnxInferenceBenchmarks
{
    private const int Images = 4;
    private InferenceSession _session = null!;
    private OrtValue[] _bareInput = [];
    private OrtValue[] _bareOutput = [];
    private string[] _inputNames = [];
    private string[] _outputNames = [];
    private RunOptions _runOptions = null!;
    private OnnxRuntimeEngine _onnx = null!;
    private InferenceBatch _onnxBatch = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "default";

    public static IEnumerable<string> Models()
    {
        yield return "default";
        if (Environment.GetEnvironmentVariable("SIMCLRV2_REFERENCE_ONNX") is { Length: > 0 } reference && File.Exists(reference))
        {
            yield return reference;
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        string path = Model == "default" ? BenchmarkData.DefaultModel : Model;
        var input = new float[Batch * 3 * 32 * 32];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (i % 97) / 50f - 1f;
        }

        _session = new InferenceSession(path);
        _runOptions = new RunOptions();
        _inputNames = [_session.InputMetadata.Keys.First()];
        _outputNames = [_session.OutputMetadata.Keys.First()];
        int classes = _session.OutputMetadata.Values.First().Dimensions[1];
        _bareInput = [OrtValue.CreateTensorValueFromMemory(input, [Batch, 3, 32, 32])];
        _bareOutput = [OrtValue.CreateTensorValueFromMemory(new float[Batch * classes], [Batch, classes])];
        _onnx = new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = path, BatchSize = Batch });
        _onnxBatch = _onnx.RentBatch();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _onnx.ReturnBatch(_onnxBatch);
        _onnx.Dispose();
        _bareInput[0].Dispose();
        _bareOutput[0].Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public void BareOnnxSession()
    {
        for (int i = 0; i < Images; i += Batch)
        {
            _session.Run(_runOptions, _inputNames, _bareInput, _outputNames, _bareOutput);
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public void OnnxEngine()
    {
        for (int i = 0; i < Images; i += Batch)
        {
            _onnx.Run(_onnxBatch, Batch);
        }
    }
}
