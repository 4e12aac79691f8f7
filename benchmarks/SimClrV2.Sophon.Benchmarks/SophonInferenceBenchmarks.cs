using BenchmarkDotNet.Attributes;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Inference stage on the SOPHON engine, per image, for the six variants (fp32/fp16/int8 x batch
/// 1/4) of the default model: here on the libsophon emulator (which computes on the CPU with one
/// thread), on a board with the real bmodels (SIMCLRV2_SOPHON_LIB_DIR and SIMCLRV2_BMODEL_DIR).
/// Each invocation runs 4 images.
/// </summary>
[MemoryDiagnoser]
public class SophonInferenceBenchmarks : SophonBenchmarkBase
{
    private const int Images = 4;

    [Params(1, 4)]
    public int Batch { get; set; }

    [Params("fp32", "fp16", "int8")]
    public string Precision { get; set; } = "fp32";

    [GlobalSetup]
    public void Setup() => CreateEngine(Precision, Batch);

    [Benchmark(OperationsPerInvoke = Images)]
    public void EngineRun()
    {
        for (int i = 0; i < Images; i += Batch)
        {
            Engine.Run(RentedBatch, Batch);
        }
    }
}
