using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// Classifies images: decode, preprocess, batch, infer, postprocess. Every input gets exactly one
/// <see cref="Prediction"/>, in input order; an input that fails gets an error entry and the others
/// go on. Safe to use from several threads at once. Dispose it (or <c>await using</c> it): that stops
/// runs in progress and releases the model.
/// </summary>
public interface IImageClassifier : IDisposable, IAsyncDisposable
{
    /// <summary>The class names, in index order.</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>The preprocessing in use, resolved: every field given (a copy; changing it changes nothing).</summary>
    PreprocessingOverride Preprocessing { get; }

    /// <summary>The engine's short name (<c>onnxruntime</c>, <c>sophon</c>).</summary>
    string EngineName { get; }

    /// <summary>The preprocessing path's short name: <c>cpu</c> or <c>bmcv</c>.</summary>
    string PreprocessorName { get; }

    /// <summary>The batch size inference runs at.</summary>
    int BatchSize { get; }

    /// <summary>The embedding output each run also fetches (e.g. <c>projection</c>), attached to each prediction and returned by <c>Embed</c>; null when none.</summary>
    string? EmbeddingName => null;

    /// <summary>Classifies inputs and returns all predictions, in input order.</summary>
    /// <param name="inputs">The inputs (see <see cref="ImageInput"/> and <see cref="ImageInputs"/>).</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One prediction per input.</returns>
    IReadOnlyList<Prediction> Classify(IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Classifies one image given as 8-bit RGB pixels (interleaved, RGBRGB...).</summary>
    /// <param name="rgb24">3 x width x height bytes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="name">The name reported in the prediction.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    Prediction Classify(ReadOnlySpan<byte> rgb24, int width, int height, string name = "pixels", CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams predictions as batches complete, in input order; decode and preprocessing of the
    /// next batches overlap inference of the current one.
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The predictions.</returns>
    IAsyncEnumerable<Prediction> ClassifyAsync(IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams predictions for inputs that arrive asynchronously (a queue, a network source), in
    /// input order, as batches complete; a partial batch runs when the source ends.
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="progress">Receives progress after each batch (no total: the source's length is unknown); may be null.</param>
    /// <param name="cancellationToken">Stops the run (and is passed to the source's enumerator).</param>
    /// <returns>The predictions.</returns>
    IAsyncEnumerable<Prediction> ClassifyAsync(IAsyncEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default);
}
