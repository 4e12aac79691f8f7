namespace SimClrV2.Sophon.Results;

/// <summary>Progress of a classification run.</summary>
/// <param name="completed">Inputs with a prediction so far.</param>
/// <param name="total">All inputs, when known in advance.</param>
public readonly struct ClassificationProgress(int completed, int? total)
{
    /// <summary>Inputs classified so far.</summary>
    public int Completed { get; } = completed;

    /// <summary>All inputs, when the sequence knows its length; else null.</summary>
    public int? Total { get; } = total;
}
