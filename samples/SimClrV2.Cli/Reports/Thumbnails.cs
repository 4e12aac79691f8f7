using SimClrV2.Sophon.Decode;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Cli.Reports;

/// <summary>Small PNGs of the inputs a labels source names (CIFAR-10 files, image folders), for report thumbnails.</summary>
internal static class Thumbnails
{
    private const int Side = 48;

    /// <summary>A thumbnail maker for the inputs of <paramref name="path"/>: by input name, null when the name is unknown or unreadable.</summary>
    public static Func<string, byte[]?> For(string path)
    {
        InputKind kind = ImageInputs.Detect(path);
        if (kind is InputKind.CifarPickle or InputKind.CifarBinary)
        {
            Dictionary<string, ImageInput> images = ImageInputs.FromPath(path).GroupBy(i => i.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            return name => images.TryGetValue(name, out ImageInput? input) ? Encode(input) : null;
        }

        Dictionary<string, ImageInput> files = kind == InputKind.Folder
            ? ImageInputs.FromFolder(path).GroupBy(i => i.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
            : new Dictionary<string, ImageInput>(StringComparer.Ordinal) { [Path.GetFileName(path)] = ImageInput.FromFile(path) };
        // A result named by its file name alone (the reference's, or older ones) finds the one image of that name.
        ILookup<string, ImageInput> byFileName = files.Values.ToLookup(i => Path.GetFileName(i.Name), StringComparer.Ordinal);
        return name => files.TryGetValue(name, out ImageInput? input) || files.TryGetValue(Path.GetFileName(name), out input)
            ? Encode(input)
            : byFileName[name].Take(2).ToList() is [ImageInput only] ? Encode(only) : null;
    }

    private static byte[]? Encode(ImageInput input)
    {
        try
        {
            using Image<Rgb24> image = input.DecodeToImage();
            if (image.Width > Side || image.Height > Side)
            {
                image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(Side, Side), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Max }));
            }

            using var png = new MemoryStream();
            image.SaveAsPng(png, new PngEncoder { CompressionLevel = PngCompressionLevel.BestCompression });
            return png.ToArray();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }
}
