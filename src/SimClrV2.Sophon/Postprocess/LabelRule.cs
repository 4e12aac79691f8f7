namespace SimClrV2.Sophon.Postprocess;

/// <summary>The one rule for class names, wherever they come from (options, a manifest): one non-empty name per class, in index order.</summary>
internal static class LabelRule
{
    /// <summary>What is wrong with <paramref name="labels"/> on their own (null: nothing; null labels are allowed: the class index stands in).</summary>
    public static string? Problem(IReadOnlyList<string>? labels) =>
        labels is not null && (labels.Count == 0 || labels.Any(string.IsNullOrWhiteSpace))
            ? "must hold one non-empty name per class, in index order"
            : null;

    /// <summary>What is wrong with <paramref name="labels"/> for a model with <paramref name="classCount"/> outputs (null: nothing).</summary>
    public static string? CountProblem(IReadOnlyList<string>? labels, int classCount) =>
        labels is not null && labels.Count != classCount
            ? $"has {labels.Count} labels but the model has {classCount} outputs; give one label per class, in index order"
            : null;
}
