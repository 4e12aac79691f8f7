namespace SimClrV2.Sophon.Postprocess;

/// <summary>One class and its probability.</summary>
/// <param name="classIndex">The class index.</param>
/// <param name="label">The class name, or the index as text when no names are known.</param>
/// <param name="score">The softmax probability, 0..1.</param>
public readonly struct ClassScore(int classIndex, string label, float score)
{
    /// <summary>The class index.</summary>
    public int ClassIndex { get; } = classIndex;

    /// <summary>The class name.</summary>
    public string Label { get; } = label;

    /// <summary>The probability, 0..1.</summary>
    public float Score { get; } = score;

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Label} ({ClassIndex}) {Score:F4}");
}
