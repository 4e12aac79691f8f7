using SimClrV2.Sophon.Postprocess;

namespace SimClrV2.Sophon.Results;

/// <summary>
/// The result for one input: the predicted class, its probability and the top-k classes; or, when
/// this one input failed (corrupt image, unreadable file), the error - other inputs are unaffected.
/// </summary>
public sealed class Prediction
{
    /// <summary>Made by the classifier only.</summary>
    internal Prediction()
    {
    }

    /// <summary>The input's name (file name, CIFAR file name).</summary>
    public string Source { get; internal init; } = string.Empty;

    /// <summary>The predicted class index; -1 when <see cref="Error"/> is set.</summary>
    public int ClassIndex { get; internal set; } = -1;

    /// <summary>The predicted class name (the index as text when the model has no names); null on error.</summary>
    public string? Label { get; internal set; }

    /// <summary>Softmax probability of the predicted class; 0 on error.</summary>
    public float Score { get; internal set; }

    /// <summary>The k most probable classes, most probable first; empty on error.</summary>
    public IReadOnlyList<ClassScore> TopK { get; internal set; } = [];

    /// <summary>The ground-truth class when the input knew it (CIFAR labels, a class-named folder), else null.</summary>
    public int? ExpectedClassIndex { get; internal init; }

    /// <summary>Why this input failed, or null when it succeeded.</summary>
    public string? Error { get; internal init; }

    /// <summary>Why this input failed, as a kind to act on (<see cref="PredictionErrorKind.None"/> when it succeeded); <see cref="Error"/> says it in words.</summary>
    public PredictionErrorKind ErrorKind { get; internal init; }

    /// <summary>True when the input was classified.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Time per stage for this input.</summary>
    public StageTimings Timings { get; internal set; }

    /// <summary>
    /// The image's embedding from the same run, L2-normalised (<see cref="EmbeddingName"/> says which),
    /// when the classifier fetches one (<see cref="Pipeline.ClassifierOptions.Embedding"/>); empty otherwise and on error.
    /// </summary>
    public ReadOnlyMemory<float> Embedding { get; internal set; }

    /// <summary>Which embedding output <see cref="Embedding"/> is (e.g. <c>projection</c>), or null.</summary>
    public string? EmbeddingName { get; internal set; }

    /// <summary>
    /// With a kNN head (<see cref="Pipeline.ClassifierOptions.KnnHead"/>): the image's best cosine
    /// similarity to the head's support images, an out-of-distribution score (low: unlike anything
    /// the head knows, whatever class won); null with the linear head.
    /// </summary>
    public float? Similarity { get; internal set; }

    /// <summary>The position of the input in the sequence given to the classifier.</summary>
    public int InputIndex { get; internal init; }

    /// <inheritdoc />
    public override string ToString() =>
        Succeeded ? FormattableString.Invariant($"{Source}: {Label} ({Score:F4})") : $"{Source}: error: {Error}";
}
