using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// What libbmcv does with JPEGs and YUV, as its source says (bmcv_api_jpeg_dec.cpp,
/// bm1684x/bmcv_1684x_vpp_internal.cpp), on the emulator: which streams the JPU decodes and which go
/// to its software decoder (BGR_PACKED), what a corrupt stream returns and leaves behind, the VPP's
/// default colour conversion (limited-range BT.601) and the binding's explicit full-range one.
/// </summary>
public class DeviceJpegFactsTests : EmulatorTestBase
{
    /// <summary>16x16 patches: grey at Y = 16, 128 and 235 (full range: R = G = B = Y), then saturated red, green, blue.</summary>
    private static readonly (byte R, byte G, byte B)[] Patches = [(16, 16, 16), (128, 128, 128), (235, 235, 235), (255, 0, 0), (0, 255, 0), (0, 0, 255)];

    private const int Side = 16;

    private static (byte[] Rgb, int Width, int Height) TestCard(int rows = 2)
    {
        int width = Side * Patches.Length, height = Side * rows;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) = Patches[x / Side];
                rgb[((y * width) + x) * 3] = r;
                rgb[((y * width) + x) * 3 + 1] = g;
                rgb[((y * width) + x) * 3 + 2] = b;
            }
        }

        return (rgb, width, height);
    }

    /// <summary>Encodes RGB pixels with libjpeg-turbo's cjpeg (the streams ImageSharp cannot write: progressive, arithmetic, 4:1:1).</summary>
    private static byte[] Cjpeg(byte[] rgb, int width, int height, string arguments)
    {
        using var dir = new TempDir();
        string ppm = dir.File("in.ppm"), jpg = dir.File("out.jpg");
        File.WriteAllBytes(ppm, [.. Encoding.ASCII.GetBytes($"P6\n{width} {height}\n255\n"), .. rgb]);
        ProcessStartInfo start = new("cjpeg", $"{arguments} -outfile {jpg} {ppm}") { RedirectStandardError = true, UseShellExecute = false };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("cjpeg is not installed (Debian: apt-get install libjpeg-turbo-progs); it writes the JPEG variants these tests feed the device decoder.");
            throw;
        }

        using (process)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.That(process.ExitCode, Is.Zero, error);
        }

        return File.ReadAllBytes(jpg);
    }

    private static byte[] Card(string arguments)
    {
        (byte[] rgb, int width, int height) = TestCard();
        return Cjpeg(rgb, width, height, arguments);
    }

    [TestCase("-quality 95 -sample 2x2", "Yuv420P")]
    [TestCase("-quality 95 -sample 2x1", "Yuv422P")]
    [TestCase("-quality 95 -sample 1x1", "Yuv444P")]
    [TestCase("-quality 95 -grayscale", "Gray")]
    [TestCase("-quality 95 -sample 1x2", "BgrPacked")]
    [TestCase("-quality 95 -sample 4x1", "BgrPacked")]
    [TestCase("-quality 95 -progressive", "BgrPacked")]
    [TestCase("-quality 95 -arithmetic", "BgrPacked")]
    [TestCase("-quality 1 -sample 2x2", "BgrPacked")] // quantisers over 255 (16-bit tables): not baseline
    public void TheJpuTakesBaselineStreamsAndLibbmcvDecodesTheRestInSoftwareAsBgrPacked(string cjpeg, string format)
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        BmImageFormat expected = Enum.Parse<BmImageFormat>(format);
        byte[] jpeg = Card(cjpeg);

        using BmImageHandle image = BmImageHandle.DecodeJpeg(model.Device, jpeg);

        Assert.That((image.Image.ImageFormat, image.Image.Width, image.Image.Height), Is.EqualTo((expected, Side * Patches.Length, 2 * Side)));
        Assert.That(image.IsYuv, Is.EqualTo(expected != BmImageFormat.BgrPacked));
    }

    [Test]
    public void AJpegSmallerThan16x16IsDecodedInSoftware()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        byte[] small = Cjpeg(new byte[12 * 12 * 3], 12, 12, "-quality 90");

        using BmImageHandle image = BmImageHandle.DecodeJpeg(model.Device, small);

        Assert.That(image.Image.ImageFormat, Is.EqualTo(BmImageFormat.BgrPacked));
    }

    [Test]
    public void AHeaderLibjpegCannotReadIsBmErrFailureAndCreatesNothing()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        byte[] garbage = [0xFF, 0xD8, 0xFF, 0xDB, 1, 2, 3, 4, 5, 6, 7, 8, 9];

        var ex = Assert.Throws<SophonException>(() => BmImageHandle.DecodeJpeg(model.Device, garbage));

        Assert.That(ex!.Status, Is.EqualTo(SophonStatus.Failure), "try_soft_decoding's header failure becomes BM_ERR_FAILURE");
        Assert.That(ex.Message, Does.Contain("BM_ERR_FAILURE").And.Not.Contain("BM_ERR_DATA"));
    }

    [Test]
    public unsafe void ACorruptStreamOnTheJpuIsBmErrFailureAndTheImageItLeftIsDestroyed()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        (byte[] rgb, int width, int height) = TestCard(rows: 8);
        byte[] whole = Cjpeg(rgb, width, height, "-quality 95 -sample 2x2");
        int scan = whole.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        byte[] truncated = whole[..(scan + ((whole.Length - scan) / 2))]; // the header whole, the scan cut in half

        // The vendor's behaviour, as the emulator reproduces it: status 2 and an image left created.
        BmImage raw = default;
        SophonStatus status;
        fixed (byte* p = truncated)
        {
            void* data = p;
            nuint size = (nuint)truncated.Length;
            status = SophonNative.bmcv_image_jpeg_dec(model.Device, &data, &size, 1, &raw, 0);
        }

        Assert.That(status, Is.EqualTo(SophonStatus.Failure));
        Assert.That(raw.ImagePrivate, Is.Not.EqualTo(IntPtr.Zero), "the failed call left the image it created");
        Assert.That(Emulator.Outstanding().Count, Is.GreaterThan(0), "with its device memory");
        Assert.That(SophonNative.bm_image_destroy(raw), Is.EqualTo(SophonStatus.Success));

        // The binding destroys it (the fixture's teardown checks that nothing is left).
        var ex = Assert.Throws<SophonException>(() => BmImageHandle.DecodeJpeg(model.Device, truncated));
        Assert.That(ex!.Status, Is.EqualTo(SophonStatus.Failure));
        Assert.That(Emulator.Outstanding().Count, Is.Zero);
    }

    /// <summary>The planar RGB one VPP pass makes of a device image with a colour conversion type.</summary>
    private static unsafe byte[] VppToRgb(SophonModel model, BmImageHandle source, int csc)
    {
        int width = source.Image.Width, height = source.Image.Height, stride = Bmcv.Align64(width);
        using DeviceMemoryHandle memory = DeviceMemoryHandle.Allocate(model.Runtime, stride * height * 3);
        using BmImageHandle output = BmImageHandle.Create(model.Device, width, height, BmImageFormat.RgbPlanar, BmImageDataType.Byte, stride);
        output.Attach(memory, 0, memory.Size);
        BmImage input = source.Image, target = output.Image;
        NativeStatus.Check(SophonNative.bmcv_image_vpp_basic(model.Device, 1, &input, &target, null, null, null, Bmcv.ResizeLinear, csc, null), "bmcv_image_vpp_basic", "test");
        var planes = new byte[memory.Size];
        memory.CopyToHost(planes);
        return planes;
    }

    /// <summary>Channel c at the centre of patch i.</summary>
    private static int At(byte[] planes, int stride, int height, int patch, int c) => planes[(((c * height) + (height / 2)) * stride) + (patch * Side) + (Side / 2)];

    [Test]
    public void TheVppsDefaultConversionIsLimitedRangeBt601AndTheFullRangeTypeKeepsJpegLevels()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        using BmImageHandle yuv = BmImageHandle.DecodeJpeg(model.Device, Card("-quality 100 -sample 1x1"));
        int stride = Bmcv.Align64(yuv.Image.Width), height = yuv.Image.Height;

        byte[] byFormat = VppToRgb(model, yuv, Bmcv.CscByFormat);
        byte[] fullRange = VppToRgb(model, yuv, Bmcv.CscYPbPrToRgbBt601);

        // YCbCr2RGB_BT601 (default_csc_type): R = 1.164 (Y - 16) + ..., so Y = 16 -> 0, 128 -> 130, 235 -> 255.
        Assert.That(new[] { At(byFormat, stride, height, 0, 0), At(byFormat, stride, height, 1, 1), At(byFormat, stride, height, 2, 2) }, Is.EqualTo(new[] { 0, 130, 255 }).Within(1));
        Assert.That(new[] { At(fullRange, stride, height, 0, 0), At(fullRange, stride, height, 1, 1), At(fullRange, stride, height, 2, 2) }, Is.EqualTo(new[] { 16, 128, 235 }).Within(1));
        for (int patch = 3; patch < Patches.Length; patch++)
        {
            (byte r, byte g, byte b) = Patches[patch];
            Assert.That(new[] { At(fullRange, stride, height, patch, 0), At(fullRange, stride, height, patch, 1), At(fullRange, stride, height, patch, 2) }, Is.EqualTo(new[] { r, g, b }).Within(2), $"patch {patch}");
        }
    }

    [Test]
    public unsafe void AYuvToRgbTypeOnRgbInputIsBmErrParam()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        using BmImageHandle bgr = BmImageHandle.DecodeJpeg(model.Device, Card("-quality 95 -progressive"));

        var ex = Assert.Throws<SophonException>(() => VppToRgb(model, bgr, Bmcv.CscYPbPrToRgbBt601));

        Assert.That(ex!.Status, Is.EqualTo(SophonStatus.Parameter), "check_bm1684x_vpp_csctype");
    }

    [TestCase("-quality 100 -sample 1x1")]
    [TestCase("-quality 100 -sample 1x1 -progressive")]
    public void TheDeviceJpegTensorOfTheColourCardEqualsTheCpuTensorWithinQuantisation(string cjpeg)
    {
        (byte[] _, int width, int height) = TestCard();
        byte[] jpeg = Card(cjpeg);
        using var dir = new TempDir();
        string bmodel = Emulator.WriteModel(dir.File("card.bmodel"), "card", "input FLOAT32 1", "logits FLOAT32 1", $"1x3x{height}x{width} 1x10");
        PreprocessingOptions unit = PreprocessingOptions.UnitRange with { Width = width, Height = height };
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = bmodel, Preprocess = PreprocessBackend.DeviceJpeg });
        var device = new BmcvPreprocessor(unit, engine, fallbackToCpu: false, hardwareJpeg: true);
        var cpu = new CpuPreprocessor(unit, engine.Input);
        InferenceBatch batch = engine.RentBatch();
        try
        {
            using (DecodedImage encoded = DecodedImage.FromEncodedJpeg(jpeg, width, height))
            {
                device.Process(encoded, batch, 0);
            }

            var onDevice = new byte[engine.Input.BytesPerImage];
            engine.CopyDeviceInput(batch, onDevice);
            var onHost = new byte[engine.Input.BytesPerImage];
            using (DecodedImage decoded = ImageDecoding.Decode(jpeg, "card.jpg", new DecodeOptions { ReducedJpegDecode = false }))
            {
                cpu.Process(decoded, onHost);
            }

            float[] d = MemoryMarshal.Cast<byte, float>(onDevice).ToArray(), h = MemoryMarshal.Cast<byte, float>(onHost).ToArray();
            Assert.That(d, Is.EqualTo(h).Within(2.5f / 255), "one level of colour-conversion rounding, one of the decoders' IDCTs");
            Assert.That(d[((height / 2) * width) + (Side / 2)], Is.EqualTo(16f / 255).Within(1.5f / 255), "the Y = 16 patch stays 16, not stretched to 0 as limited range would");
        }
        finally
        {
            engine.ReturnBatch(batch);
        }
    }
}
