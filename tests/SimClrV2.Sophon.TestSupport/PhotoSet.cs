using SimClrV2.Sophon.Decode;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.TestSupport;

/// <summary>
/// Camera-like photos for the photo benchmarks, made at run time from the shipped sample photos:
/// random crops (fixed seed) resized to 640x480 and saved as JPEG quality 90.
/// </summary>
public static class PhotoSet
{
    /// <summary>Writes <paramref name="count"/> photos into a folder and returns their paths.</summary>
    /// <param name="sampleFolder">The shipped photos.</param>
    /// <param name="folder">Where to write.</param>
    /// <param name="count">How many.</param>
    /// <param name="seed">The crops' seed.</param>
    /// <returns>The files, in order.</returns>
    public static IReadOnlyList<string> Write(string sampleFolder, string folder, int count, int seed = 42)
    {
        Directory.CreateDirectory(folder);
        IReadOnlyList<ImageInput> samples = ImageInputs.FromFolder(sampleFolder);
        var sources = samples.Select(s => Image.Load<Rgb24>(s.SourceFile!)).ToList();
        try
        {
            var random = new Random(seed);
            var files = new List<string>(count);
            for (int i = 0; i < count; i++)
            {
                Image<Rgb24> source = sources[i % sources.Count];
                int w = random.Next(source.Width / 2, source.Width + 1), h = random.Next(source.Height / 2, source.Height + 1);
                var crop = new Rectangle(random.Next(0, source.Width - w + 1), random.Next(0, source.Height - h + 1), w, h);
                using Image<Rgb24> photo = source.Clone(x => x.Crop(crop).Resize(640, 480));
                string file = Path.Combine(folder, $"photo{i:D4}.jpg");
                photo.SaveAsJpeg(file, new JpegEncoder { Quality = 90 });
                files.Add(file);
            }

            return files;
        }
        finally
        {
            sources.ForEach(s => s.Dispose());
        }
    }
}
