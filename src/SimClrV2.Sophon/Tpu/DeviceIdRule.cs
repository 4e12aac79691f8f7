namespace SimClrV2.Sophon.Tpu;

/// <summary>The one rule for a list of SOPHON device ids (options and engine alike): one or more, distinct, each 0 or more.</summary>
internal static class DeviceIdRule
{
    /// <summary>What is wrong with <paramref name="ids"/> (null: nothing).</summary>
    public static string? Problem(IReadOnlyList<int>? ids) =>
        ids is null || ids.Count == 0 || ids.Any(d => d < 0) || ids.Distinct().Count() != ids.Count
            ? $"is [{string.Join(", ", ids ?? [])}]; list one or more distinct device ids (>= 0)"
            : null;
}
