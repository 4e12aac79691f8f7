using System.Runtime.CompilerServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// Embeddings from the classifier's run: the same inference pass as <c>Classify</c> (the logits and
/// the embedding output come from one run), one <see cref="ImageEmbedding"/> per input in order.
/// The classifier must fetch an embedding (<see cref="IImageClassifier.EmbeddingName"/>: the model's
/// manifest lists its embedding outputs, or <see cref="ClassifierOptions.Embedding"/> names one).
/// </summary>
public static class EmbeddingExtensions
{
    /// <summary>Embeds the inputs (files, folders, CIFAR files, bytes, streams: see <see cref="ImageInput"/> and <see cref="ImageInputs"/>).</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One embedding per input, in order; a failed input is an entry with its error.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static IReadOnlyList<ImageEmbedding> Embed(this IImageClassifier classifier, IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        [.. Require(classifier).Classify(inputs, progress, cancellationToken).Select(ImageEmbedding.From)];

    /// <summary>Embeds what the paths name: image files, folders (recursive; class-named folders give labels), CIFAR-10 files.</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="paths">File or folder paths.</param>
    /// <returns>One embedding per image, in path order.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static IReadOnlyList<ImageEmbedding> Embed(this IImageClassifier classifier, params string[] paths) =>
        [.. Require(classifier).Classify(paths).Select(ImageEmbedding.From)];

    /// <summary>Embeds one encoded image held in memory (PNG, JPEG, ...).</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The embedding, or an entry with the error.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static ImageEmbedding Embed(this IImageClassifier classifier, ReadOnlyMemory<byte> encoded, string name = "bytes", CancellationToken cancellationToken = default) =>
        ImageEmbedding.From(Require(classifier).Classify(encoded, name, cancellationToken));

    /// <summary>Embeds one encoded image held in an array (<c>classifier.Embed(File.ReadAllBytes("cat.jpg"))</c>).</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The embedding, or an entry with the error.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static ImageEmbedding Embed(this IImageClassifier classifier, byte[] encoded, string name = "bytes", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Embed(classifier, encoded.AsMemory(), name, cancellationToken);
    }

    /// <summary>Streams the embeddings of the inputs as batches complete.</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The embeddings, in input order.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static IAsyncEnumerable<ImageEmbedding> EmbedAsync(this IImageClassifier classifier, IAsyncEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Map(Require(classifier).ClassifyAsync(inputs, progress, cancellationToken), cancellationToken);

    /// <summary>Streams the embeddings of what one path names (a file, a folder, a CIFAR-10 file) as batches complete.</summary>
    /// <param name="classifier">A classifier that fetches an embedding.</param>
    /// <param name="path">A file or folder path.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The embeddings, in path order.</returns>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public static IAsyncEnumerable<ImageEmbedding> EmbedAsync(this IImageClassifier classifier, string path, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Map(Require(classifier).ClassifyAsync(path, progress, cancellationToken), cancellationToken);

    private static IImageClassifier Require(IImageClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier.EmbeddingName is not null ? classifier : throw new InvalidOperationException(
            "This classifier fetches no embedding: its model's manifest lists no embedding outputs (\"embeddings\") and ClassifierOptions.Embedding names none. "
            + "Give a model with embedding outputs (native/model/embedding_outputs.py adds them to an exported SimCLR model), or set ClassifierOptions.Embedding to the name of an [N, D] output.");
    }

    private static async IAsyncEnumerable<ImageEmbedding> Map(IAsyncEnumerable<Prediction> predictions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (Prediction p in predictions.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return ImageEmbedding.From(p);
        }
    }
}
