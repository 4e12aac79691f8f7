namespace SimClrV2.Sophon.Results;

/// <summary>Progress of a classification run.</summary>
/// <param name="Completed">Inputs with a prediction so far.</param>
/// <param name="Total">All inputs, when known in advance.</param>
public readonly record struct ClassificationProgress(int Completed, int? Total);
