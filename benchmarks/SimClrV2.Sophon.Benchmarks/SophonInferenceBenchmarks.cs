using BenchmarkDotNet.Attributes;
using SimClrV2.Cli;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Inference stage on the SOPHON engine, per image, for the six variants (fp32/fp16/int8 x batch
/// 1/4) of the default model: here on the libsophon emulator (which computes on the CPU with one
/// thread), on a board with the real bmodels (SIMCLRV2_SOPHON_LIB_DIR and SIMCLRV2_BMODEL_DIR).
/// Each invocation runs 4 images.
/// </summary>
[MemoryDiagnoser]
public class SophonInferenceBenchmarks
{
    private const int Images = 4;
    private string? _folder;
    private SophonEngine _engine = null!;
    private InferenceBatch _batch = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [Params("fp32", "fp16", "int8")]
    public string Precision { get; set; } = "fp32";

    [GlobalSetup]
    public void Setup()
    {
        string folder = BenchmarkData.BModelFolder(out _folder);

        _engine = new SophonEngine(new SophonEngineOptions { ModelPath = Path.Combine(folder, EmulatedModels.FileName(Precision, Batch)) });
        _batch = _engine.RentBatch();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.ReturnBatch(_batch);
        _engine.Dispose();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public void EngineRun()
    {
        for (int i = 0; i < Images; i += Batch)
        {
            _engine.Run(_batch, Batch);
        }
    }
}
