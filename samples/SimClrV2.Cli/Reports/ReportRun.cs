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
        StageTimings[] timed = [.. records.Where(r => r.Timings is not null).Select(r => r.Timings!.Value)];
        Timings = timed.Length == 0 ? null : StageTimings.Average(timed);
    }

    /// <summary>The result file's name.</summary>
    public string Name { get; }

    public IReadOnlyList<PredictionRecord> Records { get; }

    public AccuracyReport Accuracy { get; }

    /// <summary>Average per-stage time per input (as the timing block averages them), or null when the file has no timings (the reference's).</summary>
    public StageTimings? Timings { get; }
}
