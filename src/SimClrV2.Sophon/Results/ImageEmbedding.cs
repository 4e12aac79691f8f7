namespace SimClrV2.Sophon.Results;

/// <summary>
/// One input's embedding: the L2-normalised vector a network output gives for the image (SimCLR's
/// representation), or, when this one input failed, the error - other inputs are unaffected.
/// </summary>
public sealed class ImageEmbedding
{
    private ImageEmbedding(Prediction prediction)
    {
        Prediction = prediction;
    }

    /// <summary>The input's name (file name, CIFAR file name).</summary>
    public string Source => Prediction.Source;

    /// <summary>The position of the input in the sequence given to the classifier.</summary>
    public int InputIndex => Prediction.InputIndex;

    /// <summary>The L2-normalised vector (cosine similarity is the dot product); empty on error.</summary>
    public ReadOnlyMemory<float> Vector => Prediction.Embedding;

    /// <summary>Which embedding output the vector is (e.g. <c>projection</c> or <c>h</c>).</summary>
    public string? EmbeddingName => Prediction.EmbeddingName;

    /// <summary>The ground-truth class when the input knew it (CIFAR labels, a class-named folder), else null.</summary>
    public int? ExpectedClassIndex => Prediction.ExpectedClassIndex;

    /// <summary>Why this input failed, or null when it succeeded.</summary>
    public string? Error => Prediction.Error;

    /// <summary>Why this input failed, as a kind to act on (<see cref="PredictionErrorKind.None"/> when it succeeded).</summary>
    public PredictionErrorKind ErrorKind => Prediction.ErrorKind;

    /// <summary>True when the input has a vector.</summary>
    public bool Succeeded => Prediction.Succeeded;

    /// <summary>Time per stage for this input.</summary>
    public StageTimings Timings => Prediction.Timings;

    /// <summary>The classification of the same run (the network's linear head).</summary>
    public Prediction Prediction { get; }

    /// <inheritdoc />
    public override string ToString() =>
        Succeeded ? $"{Source}: {EmbeddingName} [{Vector.Length}]" : $"{Source}: error: {Error}";

    /// <summary>The embedding of a prediction made with one.</summary>
    internal static ImageEmbedding From(Prediction prediction) => new(prediction);
}
