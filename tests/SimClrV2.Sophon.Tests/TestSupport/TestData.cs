using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>Where the tests find the shipped model and samples, and the shared CIFAR-10 data.</summary>
internal static class TestData
{
    public static readonly string[] Cifar10Labels = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The repository root (the folder holding SimClrV2.Sophon.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DefaultModel => Path.Combine(RepoRoot, "samples", "models", "simclrv2-r18w025-cifar10.onnx");

    public static string SampleImages => Path.Combine(RepoRoot, "samples", "images");

    /// <summary>The shared data folder: $SIMCLRV2_SHARED, else ../shared beside the repository.</summary>
    public static string Shared => Environment.GetEnvironmentVariable("SIMCLRV2_SHARED") is { Length: > 0 } s
        ? s
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string CifarDir => Path.Combine(Shared, "data", "cifar10");

    /// <summary>The CIFAR-10 file at a path under the shared folder, or the test is skipped saying why.</summary>
    /// <summary>Skips (inconclusive) a test of the reduced JPEG decode where libturbojpeg is missing or hidden (SIMCLRV2_TURBOJPEG_PATH=none, the fallback lane).</summary>
    public static void RequireTurboJpeg() =>
        Assume.That(SimClrV2.Sophon.Decode.TurboJpeg.IsAvailable, Is.True, () => SimClrV2.Sophon.Decode.TurboJpeg.Unavailable ?? string.Empty);

    public static string RequireShared(params string[] parts)
    {
        string path = Path.Combine([Shared, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Ignore($"Shared test data '{path}' is absent (CIFAR-10 and the second model live in ../shared beside the repository, or set SIMCLRV2_SHARED); this test needs it.");
        }

        return path;
    }

    public static ImageInput SolidImage(string name, int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = r;
            pixels[i + 1] = g;
            pixels[i + 2] = b;
        }

        return ImageInput.FromPixels(pixels, width, height, name);
    }

    /// <summary>
    /// Photo-like JPEGs made now: <paramref name="count"/> CIFAR-10 test images (every
    /// <paramref name="stride"/>-th of the pickle) upscaled bicubically to the size given and saved at
    /// quality 90 in <paramref name="folder"/>; the inputs and their labels.
    /// </summary>
    public static (List<ImageInput> Jpegs, List<int> Labels) UpscaledCifarJpegs(string folder, int count, int stride, int width, int height)
    {
        string pickle = RequireShared("data", "cifar10", "test_batch");
        IReadOnlyList<ImageInput> cifar = SimClrV2.Sophon.Decode.Cifar.CifarDataset.ReadPickle(pickle).ToInputs();
        var jpegs = new List<ImageInput>();
        var labels = new List<int>();
        for (int i = 0; i < count; i++)
        {
            ImageInput input = cifar[i * stride];
            using DecodedImage decoded = input.Decode();
            using var image = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgb24>(Interleaved(decoded), 32, 32);
            SixLabors.ImageSharp.Processing.ProcessingExtensions.Mutate(image, x => SixLabors.ImageSharp.Processing.ResizeExtensions.Resize(x, width, height, SixLabors.ImageSharp.Processing.KnownResamplers.Bicubic));
            string file = Path.Combine(folder, $"{i:D5}.jpg");
            SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, file, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
            jpegs.Add(ImageInput.FromFile(file));
            labels.Add(input.LabelIndex!.Value);
        }

        return (jpegs, labels);
    }

    /// <summary>Top-1 accuracy (%) of the default model on labelled inputs, with or without the reduced JPEG decode.</summary>
    public static double DefaultModelAccuracy(IReadOnlyList<ImageInput> inputs, IReadOnlyList<int> labels, bool reducedDecode)
    {
        using SimClrV2.Sophon.Pipeline.ImageClassifier classifier = SimClrV2.Sophon.OnnxRuntime.OnnxImageClassifier.Create(
            new SimClrV2.Sophon.OnnxRuntime.OnnxClassifierOptions { ModelPath = DefaultModel, Decode = new DecodeOptions { ReducedJpegDecode = reducedDecode } });
        return 100.0 * classifier.Classify(inputs).Zip(labels, (p, l) => p.ClassIndex == l ? 1 : 0).Average();
    }

    /// <summary>A decoded image's pixels as interleaved RGB (CIFAR images are planar).</summary>
    public static byte[] Interleaved(DecodedImage image)
    {
        ReadOnlySpan<byte> pixels = image.Pixels.Span;
        if (image.Layout == PixelLayout.Interleaved)
        {
            return pixels.ToArray();
        }

        int plane = image.Width * image.Height;
        var rgb = new byte[plane * 3];
        for (int i = 0; i < plane; i++)
        {
            rgb[i * 3] = pixels[i];
            rgb[(i * 3) + 1] = pixels[plane + i];
            rgb[(i * 3) + 2] = pixels[(2 * plane) + i];
        }

        return rgb;
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A CIFAR-10 binary file of <paramref name="count"/> random images labelled i % 10 (made at test time).</summary>
    public static string WriteCifarBinary(string path, int count, int seed)
    {
        var random = new Random(seed);
        var record = new byte[1 + CifarDataset.BytesPerImage];
        using FileStream file = File.Create(path);
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(record);
            record[0] = (byte)(i % 10);
            file.Write(record);
        }

        return path;
    }

    public static string WritePng(string folder, string name, int width, int height, int seed)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(RandomBytes(width * height * 3, seed), width, height);
        image.SaveAsPng(path);
        return path;
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "SimClrV2.Sophon.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Cannot find SimClrV2.Sophon.sln above the test assembly.");
    }
}

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "simclrv2-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
