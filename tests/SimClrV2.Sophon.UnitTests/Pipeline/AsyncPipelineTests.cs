using System.Runtime.CompilerServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Pipeline;

/// <summary>The channel pipeline over an engine that completes runs itself (as a device's worker does): nothing blocks on it.</summary>
public class AsyncPipelineTests
{
    private static ImageClassifier Create(FakeEngine engine) =>
        new(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Labels = TestData.Cifar10Labels, DecodeThreads = 2 });

    [Test]
    public void RunsOverlapUpToOnePerDeviceAndTheSynchronousRunIsNeverCalled()
    {
        var engine = new FakeEngine(batchSize: 2) { Devices = 3, CompleteFromDevice = true, RunDelay = TimeSpan.FromMilliseconds(60) };
        using ImageClassifier classifier = Create(engine);
        int[] classes = [.. Enumerable.Range(0, 24).Select(i => i % 10)];

        IReadOnlyList<Prediction> predictions = classifier.Classify(FakeEngine.Images(classes));

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(classes), "results in input order although runs finish out of order");
        Assert.That(engine.SyncRuns, Is.Zero, "the pipeline awaits RunAsync; no thread blocks in Run");
        Assert.That(engine.PeakRunning, Is.InRange(2, 3), "runs overlap, never more than one per device");
        Assert.That(engine.Outstanding, Is.Zero, "every batch buffer went back");
    }

    [Test]
    public async Task AnAsynchronousSourceIsClassifiedInOrderAndItsFailureBecomesOneErrorEntry()
    {
        var engine = new FakeEngine(batchSize: 4) { CompleteFromDevice = true, RunDelay = TimeSpan.FromMilliseconds(5) };
        await using ImageClassifier classifier = Create(engine);

        var predictions = new List<Prediction>();
        await foreach (Prediction p in classifier.ClassifyAsync(Arriving([3, 1, 4, 1, 5], failAfter: 5)))
        {
            predictions.Add(p);
        }

        Assert.That(predictions.Take(5).Select(p => p.ClassIndex), Is.EqualTo(new[] { 3, 1, 4, 1, 5 }));
        Assert.That(predictions, Has.Count.EqualTo(6), "the source's failure keeps its place as one entry");
        Assert.That(predictions[5].ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidInput));
        Assert.That(predictions[5].Error, Does.Contain("the queue went away"));
    }

    [Test]
    public void TheCallersTokenReachesTheAsynchronousSourceAndStopsTheRun()
    {
        var engine = new FakeEngine(batchSize: 2) { CompleteFromDevice = true };
        using ImageClassifier classifier = Create(engine);
        using var cancel = new CancellationTokenSource();

        async Task Run()
        {
            await foreach (Prediction _ in classifier.ClassifyAsync(Endless(), cancellationToken: cancel.Token))
            {
                await cancel.CancelAsync();
            }
        }

        Assert.That(Run, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public async Task DisposeAsyncStopsARunInProgressWithObjectDisposedAndReleasesTheEngine()
    {
        var engine = new FakeEngine(batchSize: 2) { Devices = 2, CompleteFromDevice = true, RunDelay = TimeSpan.FromMilliseconds(20) };
        ImageClassifier classifier = Create(engine);
        var first = new TaskCompletionSource();

        async Task<int> Run()
        {
            int n = 0;
            await foreach (Prediction _ in classifier.ClassifyAsync(Endless()))
            {
                first.TrySetResult();
                n++;
            }

            return n;
        }

        Task<int> run = Run();
        await first.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await classifier.DisposeAsync();

        Assert.That(engine.Disposed, Is.True);
        Assert.That(async () => await run, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(engine.Outstanding, Is.Zero, "the run gave its batches back before the engine was disposed");
        Assert.That(() => classifier.Classify(FakeEngine.Images(1)), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await classifier.DisposeAsync(), Throws.Nothing, "twice is harmless");
    }

    private static async IAsyncEnumerable<ImageInput> Arriving(int[] classes, int failAfter)
    {
        List<ImageInput> images = FakeEngine.Images(classes);
        for (int i = 0; ; i++)
        {
            await Task.Yield();
            if (i == failAfter)
            {
                throw new IOException("the queue went away");
            }

            yield return images[i];
        }
    }

    private static async IAsyncEnumerable<ImageInput> Endless([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = 0; ; i++)
        {
            await Task.Delay(1, cancellationToken);
            yield return FakeEngine.Images(i % 10)[0];
        }
    }
}
