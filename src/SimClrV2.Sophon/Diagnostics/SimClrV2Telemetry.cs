using System.Diagnostics;
using System.Diagnostics.Metrics;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Diagnostics;

/// <summary>
/// The names to subscribe to this library's metrics and traces, for OpenTelemetry or <c>dotnet-counters</c>:
/// one <see cref="Meter"/> (<see cref="MeterName"/>) with the counters <c>simclrv2.images</c> (tag <c>engine</c>) and
/// <c>simclrv2.failures</c> (tags <c>engine</c>, <c>error.kind</c>) and the histogram <c>simclrv2.stage.duration</c>
/// (milliseconds per image; tags <c>engine</c>, <c>stage</c>), and one <see cref="ActivitySource"/>
/// (<see cref="ActivitySourceName"/>) with one <c>simclrv2.classify</c> activity per run.
/// </summary>
public static class SimClrV2Telemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string MeterName = "SimClrV2.Sophon";

    /// <summary>The activity source's name (the same as the meter's).</summary>
    public const string ActivitySourceName = MeterName;

    /// <summary>The activity around one classification run (<c>Classify</c>/<c>ClassifyAsync</c>).</summary>
    internal const string RunActivityName = "simclrv2.classify";

    /// <summary>Counter: inputs given a prediction or an error entry. Tags: <c>engine</c>.</summary>
    internal const string ImagesCounter = "simclrv2.images";

    /// <summary>Counter: inputs that became error entries. Tags: <c>engine</c>, <c>error.kind</c> (<see cref="PredictionErrorKind"/>).</summary>
    internal const string FailuresCounter = "simclrv2.failures";

    /// <summary>Histogram, milliseconds per image: each stage of each classified input. Tags: <c>engine</c>, <c>stage</c> (decode, preprocess, inference, postprocess).</summary>
    internal const string StageDurationHistogram = "simclrv2.stage.duration";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(SimClrV2Telemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter s_meter = new(MeterName, typeof(SimClrV2Telemetry).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_images = s_meter.CreateCounter<long>(ImagesCounter, "{image}", "Inputs given a prediction or an error entry");
    private static readonly Counter<long> s_failures = s_meter.CreateCounter<long>(FailuresCounter, "{image}", "Inputs that became error entries");
    private static readonly Histogram<double> s_stage = s_meter.CreateHistogram<double>(StageDurationHistogram, "ms", "Time per image in each pipeline stage");

    /// <summary>Records one prediction: counted, its failure by kind, its stage times when it succeeded.</summary>
    internal static void Record(Prediction prediction, string engine)
    {
        var engineTag = new KeyValuePair<string, object?>("engine", engine);
        s_images.Add(1, engineTag);
        if (!prediction.Succeeded)
        {
            s_failures.Add(1, engineTag, new KeyValuePair<string, object?>("error.kind", prediction.ErrorKind.ToString()));
            return;
        }

        if (s_stage.Enabled)
        {
            StageTimings t = prediction.Timings;
            s_stage.Record(t.DecodeMs, engineTag, new KeyValuePair<string, object?>("stage", "decode"));
            s_stage.Record(t.PreprocessMs, engineTag, new KeyValuePair<string, object?>("stage", "preprocess"));
            s_stage.Record(t.InferenceMs, engineTag, new KeyValuePair<string, object?>("stage", "inference"));
            s_stage.Record(t.PostprocessMs, engineTag, new KeyValuePair<string, object?>("stage", "postprocess"));
        }
    }
}
