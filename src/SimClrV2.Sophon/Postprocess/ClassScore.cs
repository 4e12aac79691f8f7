namespace SimClrV2.Sophon.Postprocess;

/// <summary>One class and its probability.</summary>
public readonly struct ClassScore
{
    /// <summary>Made by the classifier.</summary>
    /// <param name="classIndex">The class index.</param>
    /// <param name="label">The class name, or the index as text when no names are known.</param>
    /// <param name="score">The softmax probability, 0..1.</param>
    internal ClassScore(int classIndex, string label, float score)
    {
        ClassIndex = classIndex;
        Label = label;
        Score = score;
    }

    /// <summary>The class index.</summary>
    public int ClassIndex { get; }

    /// <summary>The class name, or the index as text when no names are known.</summary>
    public string Label { get; }

    /// <summary>The softmax probability, 0..1.</summary>
    public float Score { get; }

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Label} ({ClassIndex}) {Score:F4}");
}
