using System.Globalization;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The hardware matrix, for the first board: FP32/FP16/INT8 x batch 1/4 x preprocessing on the CPU,
/// with BMCV, and with the device decoding JPEG photos too (640x480 JPEGs through the JPU, then the
/// VPP at a ratio of 15-20), against the real libsophon. Configured by environment variables:
/// <list type="bullet">
/// <item><c>SIMCLRV2_SOPHON_BMODEL_DIR</c>: the folder of <c>simclrv2_{fp32,fp16,int8}_{1b,4b}.bmodel</c>
/// compiled from the default model (a missing file skips its cases, saying which);</item>
/// <item><c>SIMCLRV2_HW_IMAGES</c>: CIFAR-10 test images per case (default 1000, from <c>../shared/data</c>);</item>
/// <item><c>SIMCLRV2_SOPHON_DEV_ID</c>: the device (default 0).</item>
/// </list>
/// <c>SIMCLRV2_SOPHON_BMODEL_DIR=models/BM1684X dotnet test -c Release --filter Category=Hardware</c>;
/// each case prints one line of figures to report. Skipped, saying why, everywhere else.
/// </summary>
[Category("Hardware")]
public class HardwareTests
{
    private static readonly string[] Precisions = ["fp32", "fp16", "int8"];
    private static readonly int[] Batches = [1, 4];
    private static readonly string[] Paths = ["cpu", "bmcv", "device-jpeg"];

    private static string RequireBoard(string precision, int batch)
    {
        string? folder = Environment.GetEnvironmentVariable("SIMCLRV2_SOPHON_BMODEL_DIR");
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            Assert.Ignore("Hardware test: set SIMCLRV2_SOPHON_BMODEL_DIR to the folder of the default model's six bmodels on a SOPHON board and run with --filter Category=Hardware.");
        }

        if (SophonRuntime.GetDeviceCount() == 0)
        {
            Assert.Ignore("Hardware test: no SOPHON device (libbmlib or the driver is missing).");
        }

        string bmodel = Path.Combine(folder, $"simclrv2_{precision}_{batch}b.bmodel");
        if (!File.Exists(bmodel))
        {
            Assert.Ignore($"Hardware test: {bmodel} is not there.");
        }

        return bmodel;
    }

    private static int DeviceId => int.TryParse(Environment.GetEnvironmentVariable("SIMCLRV2_SOPHON_DEV_ID"), CultureInfo.InvariantCulture, out int id) ? id : 0;

    [Test]
    public void TheRealLibrariesExportEveryFunctionTheBindingDeclares()
    {
        RequireBoard("fp32", 1);
        BindingSafetyTests.AssertEveryEntryPointIsExported();
    }

    [Test]
    public void Matrix([ValueSource(nameof(Precisions))] string precision, [ValueSource(nameof(Batches))] int batch, [ValueSource(nameof(Paths))] string path)
    {
        string bmodel = RequireBoard(precision, batch);
        if (precision == "fp16" && path != "cpu")
        {
            Assert.That(
                () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel, DeviceIds = [DeviceId], Preprocess = PreprocessBackend.Bmcv }),
                Throws.TypeOf<SophonModelException>().With.Message.Contains("FLOAT32 or INT8"),
                "BMCV's convert_to cannot write FP16: refused with the reason");
            TestContext.Progress.WriteLine($"hardware {precision}_{batch}b {path}: refused as expected (convert_to writes FLOAT32 or INT8 only)");
            return;
        }

        using var dir = new TempDir();
        (IReadOnlyList<ImageInput> inputs, int[] labels) = Inputs(path, dir);
        // Both decode JPEGs at full size (the device's JPU does), so the columns compare like with like.
        DecodeOptions fullDecode = new DecodeOptions { ReducedJpegDecode = false };
        using ImageClassifier onnx = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Decode = fullDecode });
        using ImageClassifier board = SophonImageClassifier.Create(new SophonClassifierOptions
        {
            Decode = fullDecode,
            ModelPath = bmodel,
            DeviceIds = [DeviceId],
            Labels = TestData.Cifar10Labels,
            Preprocess = path switch { "cpu" => PreprocessBackend.Cpu, "bmcv" => PreprocessBackend.Bmcv, _ => PreprocessBackend.DeviceJpeg },
            BmcvFallbackToCpu = false,
        });
        using (SophonModel model = SophonModel.Load(bmodel, DeviceId))
        {
            Assert.That(model.GetNetwork().Stages.Select(s => s.BatchSize), Does.Contain(batch), "the bmodel has the stage its name says");
        }

        IReadOnlyList<Prediction> expected = onnx.Classify(inputs);
        IReadOnlyList<Prediction> actual = board.Classify(inputs);

        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded), string.Join("; ", actual.Where(p => !p.Succeeded).Take(3).Select(p => p.Error)));
        double agreement = actual.Zip(expected, (a, e) => a.ClassIndex == e.ClassIndex ? 1.0 : 0.0).Average();
        double maxScoreError = actual.Zip(expected, (a, e) => Math.Abs(a.Score - e.Score)).Max();
        string accuracy = labels.All(l => l >= 0)
            ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * actual.Zip(labels, (p, l) => p.ClassIndex == l ? 1 : 0).Average():F2} % (ONNX Runtime {100.0 * expected.Zip(labels, (p, l) => p.ClassIndex == l ? 1 : 0).Average():F2} %)")
            : "n/a";
        TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hardware {precision}_{batch}b {path}: {inputs.Count} images, accuracy {accuracy}, same class as ONNX Runtime {100 * agreement:F2} %, max |score difference| {maxScoreError:F4}"));
        // The JPU's decoder (its IDCT, chroma upsampling, YUV to RGB) is not the host's: a few images
        // near a class boundary may flip, so that column allows decoder differences on top.
        (double minAgreement, double maxError) = precision switch { "fp32" => (0.995, 0.01), "fp16" => (0.99, 0.05), _ => (0.97, 0.25) };
        if (path == "device-jpeg")
        {
            (minAgreement, maxError) = (minAgreement - 0.03, maxError + 0.2);
        }

        Assert.That(agreement, Is.GreaterThanOrEqualTo(minAgreement));
        Assert.That(maxScoreError, Is.LessThanOrEqualTo(maxError));
    }

    /// <summary>The sample photos and CIFAR-10 test images; for device-jpeg, the same upscaled to 640x480 JPEGs (quality 90), made here.</summary>
    private static (IReadOnlyList<ImageInput> Inputs, int[] Labels) Inputs(string path, TempDir dir)
    {
        var inputs = new List<ImageInput>(ImageInputs.FromFolder(TestData.SampleImages));
        string pickle = Path.Combine(TestData.CifarDir, "test_batch");
        if (File.Exists(pickle))
        {
            int count = int.TryParse(Environment.GetEnvironmentVariable("SIMCLRV2_HW_IMAGES"), CultureInfo.InvariantCulture, out int n) ? n : 1000;
            IReadOnlyList<ImageInput> cifar = CifarDataset.ReadPickle(pickle).ToInputs();
            inputs = [.. Enumerable.Range(0, Math.Min(count, cifar.Count)).Select(i => cifar[(int)((long)i * cifar.Count / Math.Min(count, cifar.Count))])];
        }

        int[] labels = inputs.Select(i => i.LabelIndex ?? -1).ToArray();
        if (path != "device-jpeg")
        {
            return (inputs, labels);
        }

        var jpegs = new List<ImageInput>();
        foreach (ImageInput input in inputs)
        {
            using DecodedImage decoded = input.Decode();
            using Image<Rgb24> image = decoded.Image?.Clone() ?? Image.LoadPixelData<Rgb24>(TestData.Interleaved(decoded), decoded.Width, decoded.Height);
            image.Mutate(x => x.Resize(640, 480));
            string file = dir.File($"{jpegs.Count:D5}.jpg");
            image.SaveAsJpeg(file, new JpegEncoder { Quality = 90 });
            jpegs.Add(ImageInput.FromFile(file));
        }

        return (jpegs, labels);
    }
}
