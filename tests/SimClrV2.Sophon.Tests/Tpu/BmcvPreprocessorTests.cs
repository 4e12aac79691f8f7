using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>BMCV preprocessing on the emulator: the same tensor as the CPU path, the same predictions, and failures contained.</summary>
public class BmcvPreprocessorTests : EmulatorTestBase
{
    private static IEnumerable<ImageInput> TensorInputs()
    {
        foreach (ImageInput photo in ImageInputs.FromFolder(TestData.SampleImages))
        {
            yield return photo;
        }

        yield return ImageInput.FromPixels(TestData.RandomBytes(64 * 48 * 3, 5), 64, 48, "random-64x48");
        yield return ImageInput.FromPixels(TestData.RandomBytes(32 * 32 * 3, 6), 32, 32, "random-32x32");
        yield return ImageInput.FromPixels(TestData.RandomBytes(32 * 32 * 3, 7), 32, 32, "planar-32x32", PixelLayout.Planar);
    }

    /// <summary>The input tensor one image becomes, through BMCV on the device and through the CPU path.</summary>
    private static (byte[] Bmcv, byte[] Cpu) Tensors(string precision, ImageInput input, PreprocessingOptions options) =>
        TensorsOf(Emulator.Model(precision, 4), input, options);

    private static (byte[] Bmcv, byte[] Cpu) TensorsOf(string model, ImageInput input, PreprocessingOptions options)
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = model, Preprocess = PreprocessBackend.Bmcv });
        var bmcv = new BmcvPreprocessor(options, engine, fallbackToCpu: false);
        var cpu = new CpuPreprocessor(options, engine.Input);
        InferenceBatch batch = engine.RentBatch();
        using DecodedImage image = input.Decode();
        bmcv.Process(image, batch, 1);
        var device = new byte[batch.InputBytes.Length];
        engine.CopyDeviceInput(batch, device);
        var host = new byte[engine.Input.BytesPerImage];
        cpu.Process(image, host);
        engine.ReturnBatch(batch);
        return (device.AsSpan(engine.Input.BytesPerImage, engine.Input.BytesPerImage).ToArray(), host);
    }

    [TestCaseSource(nameof(TensorInputs))]
    public void FloatTensorEqualsTheCpuPathWithin1e3(ImageInput input)
    {
        foreach (PreprocessingOptions options in new[] { PreprocessingOptions.Cifar10, PreprocessingOptions.Cifar10 with { ChannelOrder = ChannelOrder.Bgr } })
        {
            (byte[] bmcv, byte[] cpu) = Tensors("fp32", input, options);

            float[] device = MemoryMarshal.Cast<byte, float>(bmcv).ToArray();
            float[] host = MemoryMarshal.Cast<byte, float>(cpu).ToArray();
            Assert.That(device, Is.EqualTo(host).Within(1e-3), $"{input.Name} {options.ChannelOrder}");
        }
    }

    private static IEnumerable<TestCaseData> ResizeCases()
    {
        PreprocessingOptions cifar = PreprocessingOptions.Cifar10;
        PreprocessingOptions[] modes =
        [
            cifar with { Resize = ResizeMode.CenterCrop, CropFraction = 0.875f },
            cifar with { Resize = ResizeMode.CenterCrop, CropFraction = 0.5f, ChannelOrder = ChannelOrder.Bgr },
            cifar with { Resize = ResizeMode.Letterbox, PadValue = [114, 20, 230] },
            cifar with { Resize = ResizeMode.Letterbox, PadValue = [114, 20, 230], ChannelOrder = ChannelOrder.Bgr },
            cifar with { Interpolation = ResizeInterpolation.Nearest },
            cifar with { Resize = ResizeMode.CenterCrop, Interpolation = ResizeInterpolation.Nearest },
            cifar with { Resize = ResizeMode.Letterbox, Interpolation = ResizeInterpolation.Nearest },
        ];
        foreach (ImageInput input in TensorInputs())
        {
            foreach (PreprocessingOptions options in modes)
            {
                yield return new TestCaseData(input, PreprocessingOverride.FromPreprocessingOptions(options)).SetArgDisplayNames(input.Name, options.ToString());
            }
        }
    }

    [TestCaseSource(nameof(ResizeCases))]
    public void CropLetterboxAndNearestGiveTheCpuPathsTensor(ImageInput input, PreprocessingOverride preprocessing)
    {
        (byte[] bmcv, byte[] cpu) = Tensors("fp32", input, preprocessing.Over(PreprocessingOptions.Cifar10));

        Assert.That(MemoryMarshal.Cast<byte, float>(bmcv).ToArray(), Is.EqualTo(MemoryMarshal.Cast<byte, float>(cpu).ToArray()).Within(1e-3));
    }

    [Test]
    public void BicubicIsRefusedOnBmcvNamingTheCpuPath()
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv });

        Assert.That(
            () => new BmcvPreprocessor(PreprocessingOptions.Cifar10 with { Interpolation = ResizeInterpolation.Bicubic }, engine),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("bicubic").And.Message.Contains("CPU preprocessing"));
    }

    [TestCaseSource(nameof(TensorInputs))]
    public void Int8TensorEqualsTheCpuPathWithinOne(ImageInput input)
    {
        (byte[] bmcv, byte[] cpu) = Tensors("int8", input, PreprocessingOptions.Cifar10);

        int[] difference = bmcv.Zip(cpu, (d, h) => Math.Abs((sbyte)d - (sbyte)h)).ToArray();
        Assert.That(difference, Is.All.LessThanOrEqualTo(1), input.Name);
    }

    [TestCase(90f, -25)]
    [TestCase(40f, 30)]
    public void Int8SaturationAndZeroPointAreTheSameOnTheHostAndTheDevice(float scale, int zeroPoint)
    {
        using var dir = new TempDir();
        string model = Emulator.WriteModel(dir.File("asym.bmodel"), "asym", $"input INT8 {scale} {zeroPoint}", "logits INT8 0.05 10", "4x3x32x32 4x10");
        int saturated = 0;
        foreach (ImageInput input in TensorInputs())
        {
            (byte[] bmcv, byte[] cpu) = TensorsOf(model, input, PreprocessingOptions.Cifar10);

            sbyte[] device = bmcv.Select(b => (sbyte)b).ToArray();
            sbyte[] host = cpu.Select(b => (sbyte)b).ToArray();
            Assert.That(device.Zip(host, (d, h) => Math.Abs(d - h)), Is.All.LessThanOrEqualTo(1), input.Name);
            Assert.That(device.Zip(host).Where(p => p.First == -128 || p.Second == -128).Count(p => Math.Abs(p.First - p.Second) > 0), Is.LessThanOrEqualTo(device.Length / 200), $"{input.Name}: -128 is reached by both paths, not -127 by one");
            saturated += host.Count(v => v is -128 or 127);
        }

        Assert.That(saturated, Is.GreaterThan(0), "the scale drives some values into saturation");
    }

    [Test]
    public void PredictionsAreIdenticalToCpuPreprocessing()
    {
        IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
        using ImageClassifier cpu = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4) });
        using ImageClassifier bmcv = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv });

        IReadOnlyList<Prediction> expected = cpu.Classify(photos);
        IReadOnlyList<Prediction> actual = bmcv.Classify(photos);

        Assert.That((cpu.PreprocessorName, bmcv.PreprocessorName), Is.EqualTo(("cpu", "bmcv")));
        Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(expected.Select(p => p.ClassIndex)));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-4));
    }

    [Test]
    public void ImagesOutsideTheLimitsFallBackToTheCpuOrFail()
    {
        ImageInput tiny = ImageInput.FromPixels(TestData.RandomBytes(4 * 4 * 3, 1), 4, 4, "tiny");
        ImageInput normal = ImageInput.FromPixels(TestData.RandomBytes(32 * 32 * 3, 2), 32, 32, "normal");
        using ImageClassifier cpu = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4) });
        using ImageClassifier fallback = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv });
        using ImageClassifier strict = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv, BmcvFallbackToCpu = false });

        IReadOnlyList<Prediction> expected = cpu.Classify([tiny, normal]);
        IReadOnlyList<Prediction> viaFallback = fallback.Classify([tiny, normal]);
        IReadOnlyList<Prediction> viaStrict = strict.Classify([tiny, normal]);

        Assert.That(viaFallback.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-4));
        Assert.That(viaStrict[0].Error, Does.Contain("outside BMCV's limits"));
        Assert.That(viaStrict[1].Succeeded, Is.True);
    }

    /// <summary>A smooth horizontal and vertical gradient (bilinear resizes of it agree closely whatever the passes).</summary>
    private static ImageInput Gradient(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = ((y * width) + x) * 3;
                rgb[i] = (byte)(255L * x / (width - 1));
                rgb[i + 1] = (byte)(255L * y / (height - 1));
                rgb[i + 2] = (byte)(128 + (64 * Math.Sin(x * 6.283 / width)));
            }
        }

        return ImageInput.FromPixels(rgb, width, height, $"gradient-{width}x{height}");
    }

    [Test]
    public void PassesStayWithinTheChipsScaleRatio()
    {
        Assert.That(BmcvLimits.Bm1684X.Passes(1920, 1080, 32, 32), Is.EqualTo(new[] { (32, 32) }), "ratio 60: one pass on the BM1684X");
        Assert.That(BmcvLimits.Bm1684X.Passes(8000, 100, 32, 32), Is.EqualTo(new[] { (63, 32), (32, 32) }));
        Assert.That(BmcvLimits.Bm1684X.Passes(8, 8, 2048, 2048), Is.EqualTo(new[] { (1024, 1024), (2048, 2048) }));
        Assert.That(BmcvLimits.Bm1684.Passes(1920, 1080, 32, 32), Is.EqualTo(new[] { (60, 34), (32, 32) }), "ratio 32 on the BM1684");
        Assert.That((BmcvLimits.For(0x1686).Chip, BmcvLimits.For(0x1684).Chip, BmcvLimits.For(0x9999).Chip), Is.EqualTo(("BM1684X", "BM1684", "BM1684")), "unknown chips get the smaller limits");
    }

    [Test]
    public void AFullHdFrameIntoA32x32InputIsOneVppPassOnTheBm1684X()
    {
        (byte[] bmcv, byte[] cpu) = Tensors("fp32", Gradient(1920, 1080), PreprocessingOptions.Cifar10);

        Assert.That(MemoryMarshal.Cast<byte, float>(bmcv).ToArray(), Is.EqualTo(MemoryMarshal.Cast<byte, float>(cpu).ToArray()).Within(1e-3), "one pass: the CPU's arithmetic");
    }

    [TestCase(8000, 100)]
    [TestCase(100, 8000)]
    public void RatiosBeyondOnePassRunAsChainedPasses(int width, int height)
    {
        (byte[] bmcv, byte[] cpu) = Tensors("fp32", Gradient(width, height), PreprocessingOptions.Cifar10);

        float[] device = MemoryMarshal.Cast<byte, float>(bmcv).ToArray();
        float[] host = MemoryMarshal.Cast<byte, float>(cpu).ToArray();
        Assert.That(device.Zip(host, (d, h) => Math.Abs(d - h)).Average(), Is.LessThan(0.05), "two bilinear passes of a smooth image stay close to one");
    }

    [TestCase(1920, 1080, 512, 512, TestName = "A full HD frame into a 512x512 input (112-pixel borders, one pass)")]
    [TestCase(1920, 160, 640, 640, TestName = "A 12:1 strip into a 640x640 input (293-pixel borders, two passes)")]
    [TestCase(160, 1920, 640, 640, TestName = "A 1:12 strip into a 640x640 input (side borders)")]
    public void LetterboxesOfAnyBorderGiveTheCpuPathsTensor(int width, int height, int toWidth, int toHeight)
    {
        using var dir = new TempDir();
        string model = Emulator.WriteModel(dir.File("large.bmodel"), "large", "input FLOAT32 1", "logits FLOAT32 1", $"4x3x{toHeight}x{toWidth} 4x10");
        PreprocessingOptions letterbox = PreprocessingOptions.Cifar10 with { Resize = ResizeMode.Letterbox, Width = toWidth, Height = toHeight, PadValue = [114, 20, 230] };

        (byte[] bmcv, byte[] cpu) = TensorsOf(model, Gradient(width, height), letterbox);

        Assert.That(MemoryMarshal.Cast<byte, float>(bmcv).ToArray(), Is.EqualTo(MemoryMarshal.Cast<byte, float>(cpu).ToArray()).Within(1e-3));
    }

    [Test]
    public unsafe void TheVppRefusesABorderOver255PixelsWithBmErrParam()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        using BmImageHandle source = BmImageHandle.Create(model.Device, 64, 64, BmImageFormat.RgbPacked, BmImageDataType.Byte, Bmcv.Align64(64 * 3));
        source.AllocateDeviceMemory();
        using BmImageHandle output = BmImageHandle.Create(model.Device, 640, 640, BmImageFormat.RgbPlanar, BmImageDataType.Byte, 640);
        output.AllocateDeviceMemory();
        BmImage input = source.Image, target = output.Image;
        var wide = new BmcvPaddingAttr { DstX = 0, DstY = 256, DstWidth = 640, DstHeight = 128, IfMemset = 1 };
        var narrow = wide with { DstY = 255, DstHeight = 130 };
        var unfilled = wide with { IfMemset = 0 };

        SophonStatus refused = SophonNative.bmcv_image_vpp_basic(model.Device, 1, &input, &target, null, null, &wide, Bmcv.ResizeLinear, Bmcv.CscByFormat, null);
        SophonStatus accepted = SophonNative.bmcv_image_vpp_basic(model.Device, 1, &input, &target, null, null, &narrow, Bmcv.ResizeLinear, Bmcv.CscByFormat, null);
        SophonStatus notFilled = SophonNative.bmcv_image_vpp_basic(model.Device, 1, &input, &target, null, null, &unfilled, Bmcv.ResizeLinear, Bmcv.CscByFormat, null);

        Assert.That((refused, accepted, notFilled), Is.EqualTo((SophonStatus.Parameter, SophonStatus.Success, SophonStatus.Success)), "check_bm1684x_vpp_image_param: 256 and 256 is too much with if_memset = 1, 255 and 255 is not; if_memset = 0 fills nothing");
    }

    [Test]
    public void TheChipDecidesTheLimits()
    {
        ImageInput frame = Gradient(1920, 1080);
        ImageInput small = ImageInput.FromPixels(TestData.RandomBytes(8 * 8 * 3, 3), 8, 8, "8x8");
        using (ImageClassifier bm1684x = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv, BmcvFallbackToCpu = false }))
        {
            Assert.That(bm1684x.Classify([frame, small]), Has.All.Matches<Prediction>(p => p.Succeeded), "8x8 and 1920x1080 (ratio 60) are inside the BM1684X's limits");
        }

        Emulator.SetChip(0x1684);
        using ImageClassifier bm1684 = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv, BmcvFallbackToCpu = false });
        IReadOnlyList<Prediction> predictions = bm1684.Classify([frame, small]);

        Assert.That(predictions[0].Succeeded, Is.True, "ratio 60 runs as two passes of at most 32 on the BM1684");
        Assert.That(predictions[1].Error, Does.Contain("outside BMCV's limits on the BM1684"));
    }

    [Test]
    public void Fp16NetworksAreRefusedForBmcvWithTheReason()
    {
        Assert.That(
            () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp16", 4), Preprocess = PreprocessBackend.Bmcv }),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("FLOAT32 or INT8"));
    }

    [TestCase("bm_image_create:2")]
    [TestCase("bm_image_alloc_dev_mem:1")]
    [TestCase("bm_image_copy_host_to_device:1")]
    [TestCase("bmcv_image_vpp_basic:1")]
    [TestCase("bm_image_attach:1")]
    [TestCase("bmcv_image_convert_to:1")]
    public void FailureOfEachBmcvCallIsAnErrorEntryAndLeaksNothing(string fault)
    {
        string function = fault[..fault.IndexOf(':', StringComparison.Ordinal)];
        List<ImageInput> inputs = Enumerable.Range(0, 6).Select(i => ImageInput.FromPixels(TestData.RandomBytes(40 * 40 * 3, i), 40, 40, $"b{i}")).ToList();
        using ImageClassifier classifier = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("int8", 4), Preprocess = PreprocessBackend.Bmcv });
        Emulator.SetFaults(fault);

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions.Count(p => !p.Succeeded), Is.EqualTo(1), "only the image whose call failed");
        Assert.That(predictions.Single(p => !p.Succeeded).Error, Does.StartWith(function));
        Assert.That(predictions.Where(p => p.Succeeded), Has.Exactly(5).Items);
    }
}
