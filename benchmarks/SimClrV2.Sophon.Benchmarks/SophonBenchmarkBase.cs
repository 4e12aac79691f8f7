using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Shared by the SOPHON suites: one engine over a bmodel variant (SIMCLRV2_BMODEL_DIR on a board,
/// else emulated variants written for the run) and one rented batch, released after the run.
/// </summary>
public abstract class SophonBenchmarkBase
{
    private string? _temporary;

    private protected SophonEngine Engine { get; private set; } = null!;

    protected InferenceBatch RentedBatch { get; private set; } = null!;

    [GlobalCleanup]
    public void Cleanup()
    {
        Engine.ReturnBatch(RentedBatch);
        Engine.Dispose();
        if (_temporary is not null)
        {
            Directory.Delete(_temporary, recursive: true);
        }
    }

    protected void CreateEngine(string precision, int batch, bool deviceInput = false)
    {
        string folder = BenchmarkData.BModelFolder(out _temporary);
        Engine = new SophonEngine(new SophonClassifierOptions { ModelPath = Path.Combine(folder, EmulatedModels.FileName(precision, batch)), Preprocess = deviceInput ? PreprocessBackend.Bmcv : PreprocessBackend.Cpu });
        RentedBatch = Engine.RentBatch();
    }
}
