using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Diagnostics;

/// <summary>Runs are visible to OpenTelemetry and dotnet-counters: counters, stage histograms and one activity per run.</summary>
[NonParallelizable]
public class TelemetryTests
{
    [Test]
    public void ImagesFailuresAndStageTimesAreMeasured()
    {
        var longs = new ConcurrentBag<(string Name, long Value, string? Kind)>();
        var doubles = new ConcurrentBag<(string Name, double Value, string? Stage)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SimClrV2Telemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => longs.Add((instrument.Name, value, Tag(tags, "error.kind"))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => doubles.Add((instrument.Name, value, Tag(tags, "stage"))));
        listener.Start();
        var engine = new FakeEngine(batchSize: 2) { NanForClass = 5 };
        using var classifier = new ImageClassifier(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride });

        List<ImageInput> inputs = FakeEngine.Images(1, 5, 2);
        inputs.Add(ImageInput.FromError("gone", new FileNotFoundException("gone")));
        classifier.Classify(inputs);

        Assert.That(longs.Where(m => m.Name == SimClrV2Telemetry.ImagesCounter).Sum(m => m.Value), Is.EqualTo(4));
        Assert.That(longs.Where(m => m.Name == SimClrV2Telemetry.FailuresCounter).Select(m => m.Kind), Is.EquivalentTo(new[] { "InvalidOutput", "NotFound" }));
        Assert.That(doubles.Where(m => m.Name == SimClrV2Telemetry.StageDurationHistogram).Select(m => m.Stage).Distinct(), Is.EquivalentTo(new[] { "decode", "preprocess", "inference", "postprocess" }));
        Assert.That(doubles.Count(m => m.Stage == "inference"), Is.EqualTo(2), "stage times of the two classified inputs");
    }

    [Test]
    public void EachRunIsAnActivityWithItsCounts()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SimClrV2Telemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var classifier = new ImageClassifier(new FakeEngine(batchSize: 4) { NanForClass = 3 }, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride });

        classifier.Classify(FakeEngine.Images(1, 3, 4));

        Activity run = stopped.Single(a => a.OperationName == SimClrV2Telemetry.RunActivityName);
        Assert.That(run.GetTagItem("simclrv2.images"), Is.EqualTo(3));
        Assert.That(run.GetTagItem("simclrv2.failures"), Is.EqualTo(1));
        Assert.That(run.GetTagItem("simclrv2.engine"), Is.EqualTo("fake"));
        Assert.That(run.Status, Is.EqualTo(ActivityStatusCode.Ok));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }
}
