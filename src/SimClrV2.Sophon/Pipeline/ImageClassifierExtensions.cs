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
    /// labels), CIFAR-10 pickles or binary files (see <see cref="ImageInputs.FromPaths"/>). A path
    /// that does not exist or cannot be read is an error entry in its place
    /// (<see cref="Prediction.ErrorKind"/>), never an exception, like a bad file inside a folder.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="paths">File or folder paths.</param>
    /// <returns>One prediction per image, in path order.</returns>
    public static IReadOnlyList<Prediction> Classify(this IImageClassifier classifier, params string[] paths) =>
        Classify(classifier, (IEnumerable<string>)paths);

    /// <summary>
    /// Classifies what the paths name (any sequence: a list, a LINQ query, a folder listing); see
    /// <see cref="Classify(IImageClassifier, string[])"/>.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="paths">File or folder paths.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One prediction per image, in path order.</returns>
    public static IReadOnlyList<Prediction> Classify(this IImageClassifier classifier, IEnumerable<string> paths, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(paths);
        return classifier.Classify(ImageInputs.FromPaths(paths, classifier.Labels), progress, cancellationToken);
    }

    /// <summary>Streams the predictions for what the paths name as batches complete; see <see cref="Classify(IImageClassifier, IEnumerable{string}, IProgress{ClassificationProgress}?, CancellationToken)"/>.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="paths">File or folder paths.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The predictions, in path order.</returns>
    public static IAsyncEnumerable<Prediction> ClassifyAsync(this IImageClassifier classifier, IEnumerable<string> paths, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(paths);
        return classifier.ClassifyAsync(ImageInputs.FromPaths(paths, classifier.Labels), progress, cancellationToken);
    }

    /// <summary>
    /// Classifies ImageSharp images (not changed, not disposed), named <c>image #0</c>, <c>image #1</c>, ...;
    /// a null entry is an error entry in its place.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="images">The images.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One prediction per image, in order.</returns>
    public static IReadOnlyList<Prediction> Classify(this IImageClassifier classifier, IEnumerable<Image<Rgb24>> images, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(images);
        return classifier.Classify(images.Select((image, i) => image is null ? Missing("image", i) : ImageInput.FromImage(image, $"image #{i}")), progress, cancellationToken);
    }

    /// <summary>
    /// Classifies encoded images in streams (read when classified, left open), named <c>stream #0</c>,
    /// <c>stream #1</c>, ...; a null or unreadable stream is an error entry in its place.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="streams">The streams.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One prediction per stream, in order.</returns>
    public static IReadOnlyList<Prediction> Classify(this IImageClassifier classifier, IEnumerable<Stream> streams, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(streams);
        return classifier.Classify(streams.Select((stream, i) => stream switch
        {
            null => Missing("stream", i),
            { CanRead: false } => ImageInput.FromError($"stream #{i}", $"stream #{i} is not readable (closed or write-only).", PredictionErrorKind.Unreadable),
            _ => ImageInput.FromStream(stream, $"stream #{i}"),
        }), progress, cancellationToken);
    }

    private static ImageInput Missing(string what, int index) =>
        ImageInput.FromError($"{what} #{index}", $"{what} #{index} is null.", PredictionErrorKind.InvalidInput);

    /// <summary>Classifies one encoded image held in memory (<c>classifier.Classify(File.ReadAllBytes("cat.jpg"))</c>); see <see cref="ImageInput.FromBytes"/>.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="encoded">The encoded image (a <c>byte[]</c> converts implicitly).</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction; a corrupt image is an error entry (<see cref="Prediction.Error"/>), not an exception.</returns>
    public static Prediction Classify(this IImageClassifier classifier, ReadOnlyMemory<byte> encoded, string name = "bytes", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Classify([ImageInput.FromBytes(encoded, name)], null, cancellationToken)[0];
    }

    /// <summary>Classifies one encoded image held in an array; see <see cref="Classify(IImageClassifier, ReadOnlyMemory{byte}, string, CancellationToken)"/>.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    public static Prediction Classify(this IImageClassifier classifier, byte[] encoded, string name = "bytes", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Classify(classifier, encoded.AsMemory(), name, cancellationToken);
    }

    /// <summary>
    /// Streams the predictions for what one path names (a file, a folder walked recursively, a CIFAR
    /// file) as batches complete: <c>await foreach (var p in classifier.ClassifyAsync("photos/"))</c>.
    /// A path that does not exist is one error entry.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="path">A file or folder path.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The predictions, in path order.</returns>
    public static IAsyncEnumerable<Prediction> ClassifyAsync(this IImageClassifier classifier, string path, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ClassifyAsync(classifier, [path], progress, cancellationToken);
    }

    /// <summary>Classifies one encoded image from a stream.</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="stream">A readable stream (left open).</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    public static Prediction Classify(this IImageClassifier classifier, Stream stream, string name = "stream", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Classify([ImageInput.FromStream(stream, name)], null, cancellationToken)[0];
    }

    /// <summary>Classifies one ImageSharp image (not changed, not disposed).</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="image">The image.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    public static Prediction Classify(this IImageClassifier classifier, Image<Rgb24> image, string name = "image", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.Classify([ImageInput.FromImage(image, name)], null, cancellationToken)[0];
    }
}
