using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli.Reports;

/// <summary>One result file evaluated against labels: what the report shows of it.</summary>
internal sealed class ReportRun
{
    public ReportRun(string name, IReadOnlyList<PredictionRecord> records, IReadOnlyDictionary<string, int> truth, IReadOnlyList<string> labels)
    {
        Name = name;
        Records = records;
        Accuracy = Evaluation.Evaluate(records, truth, labels);
        StageTimings[] timed = [.. records.Where(r => r.Error is null && r.Timings is not null).Select(r => r.Timings!.Value)];
        if (timed.Length > 0)
        {
            StageTimings sum = timed.Aggregate((a, b) => a + b);
            int n = timed.Length;
            Timings = new StageTimings(sum.DecodeMs / n, sum.PreprocessMs / n, sum.InferenceMs / n, sum.PostprocessMs / n);
        }
    }

    /// <summary>The result file's name.</summary>
    public string Name { get; }

    public IReadOnlyList<PredictionRecord> Records { get; }

    public AccuracyReport Accuracy { get; }

    /// <summary>Average per-stage time per classified input, or null when the file has no timings (the reference's).</summary>
    public StageTimings? Timings { get; }
}
