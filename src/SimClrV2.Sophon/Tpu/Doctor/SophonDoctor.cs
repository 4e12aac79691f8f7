using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tpu.Interop;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// The checks of <see cref="SophonRuntime.Diagnose"/>, in order: the libraries, the devices, then
/// with a bmodel a timed launch, CPU against BMCV tensors, JPU against CPU decode on a colour test
/// card, the VPP's passes for a full HD frame, and the bmodel's manifest against the network. Each
/// check catches its own failure, so one broken part never hides the others.
/// </summary>
internal static class SophonDoctor
{
    /// <summary>Largest difference, in 0..255 pixel levels, allowed between the device's and the CPU's tensors of the same image.</summary>
    public const double TensorTolerance = 2.0;

    /// <summary>Largest difference, in pixel levels, between the JPU's decode and the CPU's of the colour test card (IDCT rounding and one of colour conversion).</summary>
    public const double JpegTolerance = 3.0;

    public static SophonDiagnosis Run(string? bmodelPath, int deviceId)
    {
        var facts = new List<KeyValuePair<string, string>>();
        var checks = new List<SophonCheck>();
        bool libraries = Libraries(facts, checks);
        bool devices = libraries && Devices(deviceId, facts, checks);
        if (!devices || bmodelPath is null)
        {
            string why = !devices ? "not run: the checks above failed" : "not run: give a bmodel (simclrv2 doctor --model your.bmodel) to launch it and compare the device's preprocessing with the CPU's";
            foreach (string name in new[] { "launch", "bmcv-tensor", "jpu-decode", "vpp-passes", "manifest" })
            {
                checks.Add(new SophonCheck(name, SophonCheckStatus.Warn, why));
            }

            return new SophonDiagnosis(facts, checks);
        }

        checks.Add(Guard("launch", () => Launch(bmodelPath, deviceId, facts)));
        checks.Add(Guard("bmcv-tensor", () => BmcvTensor(bmodelPath, deviceId)));
        checks.Add(Guard("jpu-decode", () => JpuDecode(bmodelPath, deviceId)));
        checks.Add(Guard("vpp-passes", () => VppPasses(bmodelPath, deviceId)));
        checks.Add(Guard("manifest", () => Manifest(bmodelPath, deviceId)));
        return new SophonDiagnosis(facts, checks);
    }

    private static SophonCheck Guard(string name, Func<SophonCheck> check)
    {
        try
        {
            return check();
        }
        catch (Exception ex) when (ex is SophonException or IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
        {
            return new SophonCheck(name, SophonCheckStatus.Fail, $"{ex.GetType().Name}: {ex.Message}", FixFor(ex));
        }
    }

    private static string FixFor(Exception ex) => ex switch
    {
        SophonLibraryNotFoundException => "Install libsophon (the board's image has it in /opt/sophon/libsophon-current/lib), or point --sophon-lib / SIMCLRV2_SOPHON_LIB_DIR at the folder holding libbmlib.so.0, libbmrt.so.1.0 and libbmcv.so.0.",
        SophonModelException => "Recompile the model with TPU-MLIR for this chip (see the README's 'Compiling a bmodel'), or check the manifest beside it.",
        SophonException { Function: not null } s => $"{s.Function} returned {SophonException.StatusName(s.Status)}: check the device with bm-smi, its driver (dmesg), and that no other process holds it; attach doctor.json to a bug report.",
        _ => "Attach doctor.json to a bug report.",
    };

    private static bool Libraries(List<KeyValuePair<string, string>> facts, List<SophonCheck> checks)
    {
        try
        {
            SophonLibrary.EnsureLoaded();
        }
        catch (SophonLibraryNotFoundException ex)
        {
            checks.Add(new SophonCheck("libsophon", SophonCheckStatus.Fail, ex.Message, FixFor(ex)));
            return false;
        }

        string? bmcvProblem = null;
        try
        {
            SophonLibrary.EnsureBmcvLoaded();
            facts.Add(new("bmcv version", SophonLibrary.LoadedBmcvVersion()));
        }
        catch (SophonException ex)
        {
            bmcvProblem = ex.Message;
        }

        foreach (KeyValuePair<string, string> loaded in SophonLibrary.LoadedLibraryPaths().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            facts.Add(new(loaded.Key, loaded.Value));
        }

        string? folder = SophonLibrary.LoadedLibraryPaths().Values.Select(Path.GetDirectoryName).FirstOrDefault(d => d is not null);
        string? release = folder is null ? null : new DirectoryInfo(folder).Parent?.ResolveLinkTarget(returnFinalTarget: true)?.Name ?? new DirectoryInfo(folder).Parent?.Name;
        if (release is not null)
        {
            facts.Add(new("libsophon release (install folder)", release));
        }

        checks.Add(bmcvProblem is null
            ? new SophonCheck("libsophon", SophonCheckStatus.Pass, $"libbmlib, libbmrt and libbmcv loaded ({SophonLibrary.DescribeLoaded()}); bmcv {SophonLibrary.LoadedBmcvVersion()}")
            : new SophonCheck("libsophon", SophonCheckStatus.Warn, $"libbmlib and libbmrt loaded ({SophonLibrary.DescribeLoaded()}); libbmcv: {bmcvProblem}", "Without the BM1684X line's libbmcv, preprocessing runs on the CPU (PreprocessBackend.Cpu)."));
        return true;
    }

    private static unsafe bool Devices(int deviceId, List<KeyValuePair<string, string>> facts, List<SophonCheck> checks)
    {
        int count = SophonRuntime.GetDeviceCount();
        facts.Add(new("devices", count.ToString(CultureInfo.InvariantCulture)));
        if (deviceId >= count)
        {
            checks.Add(new SophonCheck("devices", SophonCheckStatus.Fail, $"{count} SOPHON device(s) found; device {deviceId} is not one of them.", count == 0
                ? "Load the driver (PCIe: the bmsophon module, see dmesg and ls /dev/bm-sophon*; SoC boards have one device, 0) and check bm-smi."
                : $"Use a device id from 0 to {count - 1}."));
            return false;
        }

        try
        {
            using SophonDeviceHandle device = SophonDeviceHandle.Open(deviceId);
            uint chip = 0;
            NativeStatus.Check(SophonNative.bm_get_chipid(device, &chip), "bm_get_chipid", $"on device {deviceId}.");
            BmDevStat stat = default;
            NativeStatus.Check(SophonNative.bm_get_stat(device, &stat), "bm_get_stat", $"on device {deviceId}.");
            string description = $"{BmcvLimits.For(chip).Chip} (chip id 0x{chip:x}), {stat.MemTotal} MiB device memory, {stat.MemUsed} MiB used";
            facts.Add(new($"device {deviceId}", description));
            checks.Add(chip == BmcvLimits.Bm1684XId
                ? new SophonCheck("devices", SophonCheckStatus.Pass, $"{count} device(s); device {deviceId}: {description}")
                : new SophonCheck("devices", SophonCheckStatus.Warn, $"{count} device(s); device {deviceId}: {description}", "This library is built and tested for the BM1684X; other chips run with the BM1684's smaller BMCV limits."));
            return true;
        }
        catch (SophonException ex)
        {
            checks.Add(new SophonCheck("devices", SophonCheckStatus.Fail, ex.Message, FixFor(ex)));
            return false;
        }
    }

    private static SophonCheck Launch(string bmodelPath, int deviceId, List<KeyValuePair<string, string>> facts)
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = bmodelPath, DeviceIds = [deviceId] });
        EngineInput input = engine.Input;
        InferenceBatch batch = engine.RentBatch();
        try
        {
            batch.InputBytes.Clear();
            int count = engine.MaxBatchSize;
            engine.Run(batch, count); // the first launch loads the network onto the device
            var times = new double[5];
            for (int i = 0; i < times.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                engine.Run(batch, count);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            string quantised = input.ElementType == TensorElementType.Int8
                ? string.Create(CultureInfo.InvariantCulture, $"; INT8 input scale {input.QuantizationScale:G6}, zero point {input.QuantizationZeroPoint}")
                : string.Empty;
            facts.Add(new("bmodel", SophonRuntime.DescribeModel(bmodelPath, deviceId).TrimEnd()));
            return new SophonCheck("launch", SophonCheckStatus.Pass, string.Create(CultureInfo.InvariantCulture, $"'{input.Name}' {input.ElementType} {input.Channels}x{input.Height}x{input.Width}, batch {count}: median {times[2]:F2} ms per launch (5 launches, copy in and out included){quantised}"));
        }
        finally
        {
            engine.ReturnBatch(batch);
        }
    }

    /// <summary>A network with device preprocessing, the CPU preprocessor beside it, and a function comparing their tensors of one image in 0..255 levels.</summary>
    private static SophonCheck CompareOnDevice(string name, string bmodelPath, int deviceId, bool hardwareJpeg, Func<EngineInput, IReadOnlyList<(DecodedImage Device, DecodedImage Cpu, string What)>> images, double tolerance, string fix)
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = bmodelPath, DeviceIds = [deviceId], Preprocess = hardwareJpeg ? PreprocessBackend.DeviceJpeg : PreprocessBackend.Bmcv });
        EngineInput input = engine.Input;
        if (input.ElementType is not (TensorElementType.Float32 or TensorElementType.Int8) || input.Layout != TensorLayout.Nchw)
        {
            return new SophonCheck(name, SophonCheckStatus.Warn, $"not run: BMCV writes FLOAT32 or INT8 NCHW inputs; '{input.Name}' is {input.ElementType} {input.Layout}.");
        }

        PreprocessingOptions unit = PreprocessingOptions.UnitRange with { Width = input.Width, Height = input.Height };
        var device = new BmcvPreprocessor(unit, engine, fallbackToCpu: false, hardwareJpeg: hardwareJpeg);
        var cpu = new CpuPreprocessor(unit, input);
        double step = input.ElementType == TensorElementType.Int8 ? 255.0 / input.QuantizationScale : 0; // one quantisation step, in levels
        InferenceBatch batch = engine.RentBatch();
        try
        {
            double worst = 0;
            string worstWhat = string.Empty;
            var onDevice = new byte[input.BytesPerImage];
            var onHost = new byte[input.BytesPerImage];
            foreach ((DecodedImage forDevice, DecodedImage forCpu, string what) in images(input))
            {
                using (forDevice)
                using (forCpu)
                {
                    device.Process(forDevice, batch, 0);
                    engine.CopyDeviceInput(batch, onDevice);
                    cpu.Process(forCpu, onHost);
                }

                double difference = MaxLevels(onDevice, onHost, input);
                if (difference >= worst)
                {
                    (worst, worstWhat) = (difference, what);
                }
            }

            double allowed = tolerance + step;
            string detail = string.Create(CultureInfo.InvariantCulture, $"largest difference {worst:F2} levels ({worstWhat}); allowed {allowed:F2}");
            return worst <= allowed
                ? new SophonCheck(name, SophonCheckStatus.Pass, detail)
                : new SophonCheck(name, SophonCheckStatus.Fail, detail, fix);
        }
        finally
        {
            engine.ReturnBatch(batch);
        }
    }

    private static double MaxLevels(byte[] a, byte[] b, EngineInput input)
    {
        double worst = 0;
        if (input.ElementType == TensorElementType.Float32)
        {
            ReadOnlySpan<float> x = MemoryMarshal.Cast<byte, float>(a), y = MemoryMarshal.Cast<byte, float>(b);
            for (int i = 0; i < x.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(x[i] - y[i]) * 255.0);
            }

            return worst;
        }

        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((sbyte)a[i] - (sbyte)b[i]) * 255.0 / input.QuantizationScale);
        }

        return worst;
    }

    private static SophonCheck BmcvTensor(string bmodelPath, int deviceId) =>
        CompareOnDevice("bmcv-tensor", bmodelPath, deviceId, hardwareJpeg: false, input => [.. SyntheticImages().Select(p => (DecodedImage.FromPixels(p.Rgb, p.Width, p.Height, PixelLayout.Interleaved), DecodedImage.FromPixels(p.Rgb, p.Width, p.Height, PixelLayout.Interleaved), $"{p.Width}x{p.Height} {p.Kind}"))],
            TensorTolerance, "The device's VPP or convert_to disagrees with the CPU: use CPU preprocessing (PreprocessBackend.Cpu) and attach doctor.json to a bug report.");

    /// <summary>Gradients and noise at sizes the VPP resizes up, down and not at all, and a full HD frame.</summary>
    private static IEnumerable<(byte[] Rgb, int Width, int Height, string Kind)> SyntheticImages()
    {
        var random = new Random(1684);
        foreach ((int w, int h) in new[] { (64, 48), (32, 32), (17, 29), (1920, 1080) })
        {
            var gradient = new byte[w * h * 3];
            var noise = new byte[w * h * 3];
            random.NextBytes(noise);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int i = ((y * w) + x) * 3;
                    gradient[i] = (byte)(255L * x / Math.Max(1, w - 1));
                    gradient[i + 1] = (byte)(255L * y / Math.Max(1, h - 1));
                    gradient[i + 2] = (byte)((x + y) & 0xFF);
                }
            }

            yield return (gradient, w, h, "gradient");
            yield return (noise, w, h, "noise");
        }
    }

    /// <summary>Grey at Y = 16, 128 and 235, then saturated red, green and blue, in columns.</summary>
    internal static byte[] ColourCard(int width, int height)
    {
        (byte R, byte G, byte B)[] patches = [(16, 16, 16), (128, 128, 128), (235, 235, 235), (255, 0, 0), (0, 255, 0), (0, 0, 255)];
        using var card = new Image<Rgb24>(width, height);
        card.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    (byte r, byte g, byte b) = patches[x * patches.Length / width];
                    row[x] = new Rgb24(r, g, b);
                }
            }
        });
        using var jpeg = new MemoryStream();
        card.SaveAsJpeg(jpeg, new JpegEncoder { Quality = 100, ColorType = JpegColorType.YCbCrRatio444 });
        return jpeg.ToArray();
    }

    private static SophonCheck JpuDecode(string bmodelPath, int deviceId) =>
        CompareOnDevice("jpu-decode", bmodelPath, deviceId, hardwareJpeg: true, input =>
        {
            // The card at the network's size (at least the JPU's 16x16): no resize, so the decoders and their colour conversion are all that differs.
            int w = Math.Max(16, input.Width), h = Math.Max(16, input.Height);
            byte[] card = ColourCard(w, h);
            return [(DecodedImage.FromEncodedJpeg(card, w, h), ImageDecoding.Decode(card, "the colour test card", new DecodeOptions { ReducedJpegDecode = false }), $"colour test card {w}x{h}, 4:4:4")];
        }, JpegTolerance, "The JPU's YUV is converted with the wrong colour range (JPEG is full range; the VPP's default is limited range): this libsophon's VPP does not honour CSC_YPbPr2RGB_BT601. Use PreprocessBackend.Bmcv (JPEGs decoded on the host) and attach doctor.json to a bug report.");

    private static SophonCheck VppPasses(string bmodelPath, int deviceId)
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = bmodelPath, DeviceIds = [deviceId] });
        BmcvLimits limits = BmcvLimits.For(engine.ChipId);
        EngineInput input = engine.Input;
        int passes = limits.Passes(1920, 1080, input.Width, input.Height).Count;
        string detail = $"a 1920x1080 frame reaches the {input.Width}x{input.Height} input in {passes} VPP pass(es) on the {limits.Chip} (scale ratio up to {limits.MaxScale} a pass, sides {limits.MinSide}..{limits.MaxSide})";
        return passes == 1
            ? new SophonCheck("vpp-passes", SophonCheckStatus.Pass, detail)
            : new SophonCheck("vpp-passes", SophonCheckStatus.Warn, detail, "Each extra pass costs a VPP round trip; decode large photos reduced (DecodeOptions.ReducedJpegDecode) or preprocess on the CPU.");
    }

    private static SophonCheck Manifest(string bmodelPath, int deviceId)
    {
        ModelManifest? manifest = ModelManifest.TryLoadFor(bmodelPath);
        using ImageClassifier classifier = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodelPath, DeviceIds = [deviceId] });
        string fed = $"the engine feeds {classifier.Preprocessing}";
        return manifest is null
            ? new SophonCheck("manifest", SophonCheckStatus.Warn, $"no manifest at {ModelManifest.PathFor(bmodelPath)}; {fed} (defaults)", "Write the manifest beside the bmodel (simclrv2 emulate and the compile scripts do) so labels and preprocessing travel with it.")
            : new SophonCheck("manifest", SophonCheckStatus.Pass, $"{ModelManifest.PathFor(bmodelPath)} agrees with the network; {fed}");
    }
}
