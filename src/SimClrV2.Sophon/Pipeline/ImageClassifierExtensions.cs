using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Results;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>Shortcuts over <see cref="IImageClassifier.Classify(IEnumerable{ImageInput}, IProgress{ClassificationProgress}?, CancellationToken)"/> for common input kinds.</summary>
public static class ImageClassifierExtensions
{
    /// <summary>
    /// Classifies what the paths name: image files, folders (recursive; class-named folders give
    /// labels), CIFAR-10 pickles or binary files (see <see cref="ImageInputs.FromPath"/>).
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="paths">File or folder paths.</param>
    /// <returns>One prediction per image, in path order.</returns>
    public static IReadOnlyList<Prediction> Classify(this IImageClassifier classifier, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(paths);
        return classifier.Classify(paths.SelectMany(p => ImageInputs.FromPath(p, classifier.Labels)).ToList());
    }

    /// <summary>Classifies one encoded image from a stream.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="stream">A readable stream (left open).</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The prediction.</returns>
    public static Prediction Classify(this IImageClassifier classifier, Stream stream, string name = "stream")
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Classify([ImageInput.FromStream(stream, name)])[0];
    }

    /// <summary>Classifies one ImageSharp image (not changed, not disposed).</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="image">The image.</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The prediction.</returns>
    public static Prediction Classify(this IImageClassifier classifier, Image<Rgb24> image, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Classify([ImageInput.FromImage(image, name)])[0];
    }
}
