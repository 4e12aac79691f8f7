namespace SimClrV2.Sophon.Embeddings;

/// <summary>How a <see cref="KnnClassifier"/> decides.</summary>
public enum KnnMode
{
    /// <summary>The k most similar support images vote, each with weight exp(similarity / temperature).</summary>
    Weighted,

    /// <summary>The class whose support images are the most similar on average (the query's dot product with their mean, the class's prototype).</summary>
    Prototype,
}

/// <summary>A <see cref="KnnClassifier"/>'s answer for one query.</summary>
public readonly struct KnnPrediction
{
    internal KnnPrediction(int classIndex, string label, float score, float similarity)
    {
        ClassIndex = classIndex;
        Label = label;
        Score = score;
        Similarity = similarity;
    }

    /// <summary>The class index (in <see cref="KnnClassifier.Classes"/>).</summary>
    public int ClassIndex { get; }

    /// <summary>The class name.</summary>
    public string Label { get; }

    /// <summary>The class's share of the vote (weighted kNN), or the query's mean similarity to the class's support images (prototype mode).</summary>
    public float Score { get; }

    /// <summary>
    /// The query's best cosine similarity to any support image: an out-of-distribution score (low: the
    /// image is unlike everything the classifier knows, whatever class won).
    /// </summary>
    public float Similarity { get; }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Label} ({Score:F4}, nearest {Similarity:F4})");
}

/// <summary>One support image near a query.</summary>
public readonly struct KnnNeighbor
{
    internal KnnNeighbor(int index, int classIndex, string label, string? source, float similarity)
    {
        Index = index;
        ClassIndex = classIndex;
        Label = label;
        Source = source;
        Similarity = similarity;
    }

    /// <summary>The support image's position in the classifier.</summary>
    public int Index { get; }

    /// <summary>Its class index.</summary>
    public int ClassIndex { get; }

    /// <summary>Its class name.</summary>
    public string Label { get; }

    /// <summary>Its name (the input's file name), or null when none was given.</summary>
    public string? Source { get; }

    /// <summary>The cosine similarity to the query (1: the same direction).</summary>
    public float Similarity { get; }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Source ?? $"#{Index}"} ({Label}) {Similarity:F4}");
}
