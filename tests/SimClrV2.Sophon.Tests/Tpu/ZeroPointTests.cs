using System.Globalization;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Asymmetric INT8 (TPU-MLIR's <c>--asymmetric</c>): non-zero zero points on the input and the
/// output, honoured end to end: the CPU writer, BMCV's alpha/beta and the output decoding.
/// </summary>
public class ZeroPointTests : EmulatorTestBase
{
    private static IReadOnlyList<ImageInput> Images()
    {
        var images = new List<ImageInput>(ImageInputs.FromFolder(TestData.SampleImages));
        string pickle = Path.Combine(TestData.CifarDir, "test_batch");
        if (File.Exists(pickle))
        {
            IReadOnlyList<ImageInput> cifar = CifarDataset.ReadPickle(pickle).ToInputs();
            images.AddRange(Enumerable.Range(0, 40).Select(i => cifar[i * 250]));
        }

        return images;
    }

    private static float[][] Logits(string model, PreprocessBackend backend, IReadOnlyList<ImageInput> images)
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = model, Preprocess = backend });
        IImagePreprocessor preprocessor = backend == PreprocessBackend.Bmcv
            ? new BmcvPreprocessor(PreprocessingOptions.Cifar10, engine, fallbackToCpu: false)
            : new CpuPreprocessor(PreprocessingOptions.Cifar10, engine.Input);
        var logits = new float[images.Count][];
        InferenceBatch batch = engine.RentBatch();
        for (int i = 0; i < images.Count; i++)
        {
            using DecodedImage image = images[i].Decode();
            preprocessor.Process(image, batch, 0);
            engine.Run(batch, 1);
            logits[i] = batch.OutputRow(0).ToArray();
        }

        engine.ReturnBatch(batch);
        return logits;
    }

    [TestCase(PreprocessBackend.Cpu)]
    [TestCase(PreprocessBackend.Bmcv)]
    public void AnAsymmetricInt8ModelGivesTheFloatModelsLogits(PreprocessBackend backend)
    {
        SophonNetworkInfo symmetric;
        using (SophonModel calibrated = SophonModel.Load(Emulator.Model("int8", 4)))
        {
            symmetric = calibrated.GetNetwork();
        }

        float inputScale = symmetric.Inputs[0].Scale * 0.8f, outputScale = symmetric.Outputs[0].Scale * 1.25f;
        const int InputZero = -25, OutputZero = 25;
        using var dir = new TempDir();
        string asymmetric = Emulator.WriteModel(
            dir.File("asym.bmodel"),
            "simclrv2",
            string.Create(CultureInfo.InvariantCulture, $"input INT8 {inputScale:R} {InputZero}"),
            string.Create(CultureInfo.InvariantCulture, $"output INT8 {outputScale:R} {OutputZero}").Replace("output ", "logits ", StringComparison.Ordinal),
            "1x3x32x32 1x10");
        using (SophonModel loaded = SophonModel.Load(asymmetric))
        {
            Assert.That((loaded.GetNetwork().Inputs[0].ZeroPoint, loaded.GetNetwork().Outputs[0].ZeroPoint), Is.EqualTo((InputZero, OutputZero)), "zero points read from the network info");
        }

        IReadOnlyList<ImageInput> images = Images();
        float[][] expected = Logits(Emulator.Model("fp32", 1), PreprocessBackend.Cpu, images);
        float[][] actual = Logits(asymmetric, backend, images);

        double meanError = expected.Zip(actual, (e, a) => e.Zip(a, (x, y) => Math.Abs(x - y)).Average()).Average();
        int sameClass = expected.Zip(actual, (e, a) => Array.IndexOf(e, e.Max()) == Array.IndexOf(a, a.Max()) ? 1 : 0).Sum();
        double ignoredOutputZero = OutputZero * outputScale; // what dequantising without the zero point would add to every logit
        TestContext.Progress.WriteLine($"asymmetric INT8 ({backend}): {images.Count} images, mean |logit error| {meanError:F3}, same class {sameClass}/{images.Count}; an ignored output zero point would add {ignoredOutputZero:F3}");
        Assert.That(meanError, Is.LessThan(0.25).And.LessThan(ignoredOutputZero / 10), "within quantisation error of the float logits");
        Assert.That(sameClass, Is.GreaterThanOrEqualTo((int)(images.Count * 0.85)));
    }
}
