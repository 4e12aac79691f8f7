using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// On a SOPHON board with libsophon installed: run alone, with the real libraries on the default
/// search path and a real bmodel of the default model:
/// <c>SIMCLRV2_SOPHON_BMODEL=simclrv2_fp32_1b.bmodel dotnet test -c Release --filter Category=Hardware</c>.
/// Skipped, saying why, everywhere else.
/// </summary>
[Category("Hardware")]
public class HardwareTests
{
    private static string RequireBoard()
    {
        string? bmodel = Environment.GetEnvironmentVariable("SIMCLRV2_SOPHON_BMODEL");
        if (string.IsNullOrEmpty(bmodel) || !File.Exists(bmodel))
        {
            Assert.Ignore("Hardware test: set SIMCLRV2_SOPHON_BMODEL to a bmodel of the default model on a SOPHON board and run with --filter Category=Hardware.");
        }

        if (SophonRuntime.GetDeviceCount() == 0)
        {
            Assert.Ignore("Hardware test: no SOPHON device (libsophon or the driver is missing).");
        }

        return bmodel;
    }

    [Test]
    public void RealBoardClassifiesTheSamplePhotosLikeOnnxRuntime()
    {
        string bmodel = RequireBoard();
        IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
        using ImageClassifier onnx = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using ImageClassifier board = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel, Labels = TestData.Cifar10Labels });

        IReadOnlyList<Prediction> expected = onnx.Classify(photos);
        IReadOnlyList<Prediction> actual = board.Classify(photos);

        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded));
        Assert.That(actual.Select(p => p.Score).Zip(expected.Select(p => p.Score), (a, e) => Math.Abs(a - e)), Is.All.LessThan(0.1));
    }
}
