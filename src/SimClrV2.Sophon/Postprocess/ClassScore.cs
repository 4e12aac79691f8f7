namespace SimClrV2.Sophon.Postprocess;

/// <summary>One class and its probability.</summary>
/// <param name="ClassIndex">The class index.</param>
/// <param name="Label">The class name, or the index as text when no names are known.</param>
/// <param name="Score">The softmax probability, 0..1.</param>
public readonly record struct ClassScore(int ClassIndex, string Label, float Score);
