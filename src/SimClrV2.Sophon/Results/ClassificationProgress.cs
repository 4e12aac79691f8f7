namespace SimClrV2.Sophon.Results;

/// <summary>Progress of a classification run.</summary>
public readonly struct ClassificationProgress
{
    /// <summary>Made by the classifier.</summary>
    /// <param name="completed">Inputs with a prediction so far.</param>
    /// <param name="total">All inputs, when known in advance.</param>
    internal ClassificationProgress(int completed, int? total)
    {
        Completed = completed;
        Total = total;
    }

    /// <summary>Inputs classified so far.</summary>
    public int Completed { get; }

    /// <summary>All inputs, when the sequence knows its length; else null.</summary>
    public int? Total { get; }
}
