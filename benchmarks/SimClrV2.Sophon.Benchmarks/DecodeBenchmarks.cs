using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Decode stage, per image (32x32 CIFAR-10 test images): PNG and JPEG through ImageSharp (256
/// encoded in memory), and the two CIFAR-10 files read whole (10,000 images; the reference reports
/// the unpickle time as decode time).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const int Encoded = 256;
    private byte[][] _png = [];
    private byte[][] _jpeg = [];
    private string _pickle = string.Empty;
    private string _binary = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _pickle = BenchmarkData.Cifar("test_batch");
        _binary = BenchmarkData.Cifar("test_batch.bin");
        var png = new List<byte[]>();
        var jpeg = new List<byte[]>();
        foreach (ImageInput input in BenchmarkData.CifarImages(Encoded))
        {
            using DecodedImage decoded = input.Decode();
            using Image<Rgb24> image = ToImage(decoded.Pixels.Span);
            using var p = new MemoryStream();
            image.SaveAsPng(p);
            png.Add(p.ToArray());
            using var j = new MemoryStream();
            image.SaveAsJpeg(j);
            jpeg.Add(j.ToArray());
        }

        _png = [.. png];
        _jpeg = [.. jpeg];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Encoded)]
    public int Png() => DecodeAll(_png);

    [Benchmark(OperationsPerInvoke = Encoded)]
    public int Jpeg() => DecodeAll(_jpeg);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public int CifarPickle() => CifarDataset.ReadPickle(_pickle).Count;

    [Benchmark(OperationsPerInvoke = 10_000)]
    public int CifarBinary() => CifarDataset.ReadBinary(_binary).Count;

    private static int DecodeAll(byte[][] files)
    {
        int pixels = 0;
        foreach (byte[] file in files)
        {
            using var stream = new MemoryStream(file, writable: false);
            using DecodedImage image = ImageInput.FromStream(stream, "x").Decode();
            pixels += image.Width * image.Height;
        }

        return pixels;
    }

    private static Image<Rgb24> ToImage(ReadOnlySpan<byte> planar)
    {
        var interleaved = new byte[planar.Length];
        for (int i = 0; i < 1024; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                interleaved[(i * 3) + c] = planar[(c * 1024) + i];
            }
        }

        return Image.LoadPixelData<Rgb24>(interleaved, 32, 32);
    }
}
