using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Pipeline;

public class ImageClassifierTests
{
    private static readonly PreprocessingOptions Raw = FakeEngine.Raw;

    private static ImageClassifier Create(FakeEngine engine, int topK = 3) =>
        new(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Labels = TestData.Cifar10Labels, TopK = topK });

    private static List<ImageInput> Images(params int[] classes) => FakeEngine.Images(classes);

    [Test]
    public void EveryImageGetsItsPredictionInInputOrderIncludingAPartialLastBatch()
    {
        var engine = new FakeEngine(batchSize: 4);
        using ImageClassifier classifier = Create(engine);
        int[] classes = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];

        IReadOnlyList<Prediction> predictions = classifier.Classify(Images(classes));

        Assert.That(predictions.Select(p => p.Source), Is.EqualTo(classes.Select((_, i) => $"img{i}")));
        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(classes));
        Assert.That(predictions.Select(p => p.InputIndex), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(engine.RunCounts, Is.EqualTo(new[] { 4, 4, 2 }));
        Assert.That(engine.Outstanding, Is.Zero, "every batch buffer went back to the engine");
    }

    [Test]
    public void FixedBatchEnginePadsAndPaddingNeverReachesResults()
    {
        var engine = new FakeEngine(batchSize: 4, fixedBatch: true);
        using ImageClassifier classifier = Create(engine);

        IReadOnlyList<Prediction> predictions = classifier.Classify(Images(7, 8, 9, 1, 2));

        Assert.That(predictions, Has.Count.EqualTo(5));
        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 7, 8, 9, 1, 2 }));
    }

    [Test]
    public void CorruptImageGetsAnErrorEntryAndTheOthersAreCorrect()
    {
        using var dir = new TempDir();
        string bad = dir.File("corrupt.png");
        File.WriteAllBytes(bad, [1, 2, 3, 4]);
        var engine = new FakeEngine(batchSize: 4);
        using ImageClassifier classifier = Create(engine);
        List<ImageInput> inputs = Images(2, 4, 6, 8);
        inputs.Insert(2, ImageInput.FromFile(bad));

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 2, 4, -1, 6, 8 }));
        Assert.That(predictions[2].Succeeded, Is.False);
        Assert.That(predictions[2].Source, Is.EqualTo("corrupt.png"));
        Assert.That(predictions[2].Error, Does.Contain("corrupt.png"));
        Assert.That(engine.RunCounts, Is.EqualTo(new[] { 4 }), "the failed image takes no slot");
    }

    [Test]
    public void ImageOfTheWrongSizeIsResizedAndMissingFileIsAnErrorEntry()
    {
        var engine = new FakeEngine(batchSize: 2);
        using ImageClassifier classifier = Create(engine);
        ImageInput big = TestData.SolidImage("big", 40, 30, 100, 0, 0);

        IReadOnlyList<Prediction> predictions = classifier.Classify([big, ImageInput.FromFile("/no/such/file.png")]);

        Assert.That(predictions[0].ClassIndex, Is.EqualTo(5));
        Assert.That(predictions[1].Error, Does.Contain("file.png"));
    }

    [Test]
    public void EngineFailureTurnsThatBatchIntoErrorsAndKeepsTheOthers()
    {
        var engine = new FakeEngine(batchSize: 2) { FailRun = run => run == 2 ? new InvalidOperationException("device lost") : null };
        using ImageClassifier classifier = Create(engine);

        IReadOnlyList<Prediction> predictions = classifier.Classify(Images(1, 2, 3, 4, 5));

        Assert.That(predictions.Select(p => p.Succeeded), Is.EqualTo(new[] { true, true, false, false, true }));
        Assert.That(predictions[2].Error, Does.Contain("device lost"));
        Assert.That(predictions[4].ClassIndex, Is.EqualTo(5));
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public void AFailingInputSequenceKeepsTheResultsSoFarAndBecomesOneErrorEntry()
    {
        var engine = new FakeEngine(batchSize: 2);
        using ImageClassifier classifier = Create(engine);

        IEnumerable<ImageInput> Failing()
        {
            foreach (ImageInput i in Images(1, 2, 3))
            {
                yield return i;
            }

            throw new InvalidDataException("source broke");
        }

        IReadOnlyList<Prediction> predictions = classifier.Classify(Failing());

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 1, 2, 3, -1 }));
        Assert.That(predictions[3].Error, Does.Contain("reading the inputs failed after 3 input(s): source broke"));
        Assert.That(predictions[3].Source, Is.EqualTo("input #3"));
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public async Task StoppingEarlyReturnsEveryBuffer()
    {
        var engine = new FakeEngine(batchSize: 2);
        using ImageClassifier classifier = Create(engine);

        await foreach (Prediction p in classifier.ClassifyAsync(Images(Enumerable.Repeat(1, 50).ToArray())))
        {
            Assert.That(p.ClassIndex, Is.EqualTo(1));
            break;
        }

        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public void CancellationStopsTheRun()
    {
        var engine = new FakeEngine(batchSize: 2);
        using ImageClassifier classifier = Create(engine);
        using var cts = new CancellationTokenSource();

        IEnumerable<ImageInput> Endless()
        {
            for (int i = 0; ; i++)
            {
                if (i == 20)
                {
                    cts.Cancel();
                }

                yield return TestData.SolidImage($"i{i}", 4, 4, 20, 0, 0);
            }
        }

        Assert.That(() => classifier.Classify(Endless(), cancellationToken: cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public void ProgressIsReportedUpToTheTotal()
    {
        var engine = new FakeEngine(batchSize: 4);
        using ImageClassifier classifier = Create(engine);
        var reports = new List<ClassificationProgress>();

        classifier.Classify(Images(1, 2, 3, 4, 5, 6), new SynchronousProgress(reports.Add));

        Assert.That(reports.Select(r => r.Completed), Is.EqualTo(new[] { 4, 6 }));
        Assert.That(reports.Select(r => r.Total), Is.All.EqualTo(6));
    }

    [Test]
    public void SeveralThreadsOnOneClassifierGetTheSameResultsAsOne()
    {
        var engine = new FakeEngine(batchSize: 3);
        using ImageClassifier classifier = Create(engine);
        int[] classes = Enumerable.Range(0, 40).Select(i => (i * 7) % 10).ToArray();
        int[] single = classifier.Classify(Images(classes)).Select(p => p.ClassIndex).ToArray();

        int[][] results = new int[8][];
        Parallel.For(0, 8, t => results[t] = classifier.Classify(Images(classes)).Select(p => p.ClassIndex).ToArray());

        Assert.That(results, Is.All.EqualTo(single));
        Assert.That(single, Is.EqualTo(classes));
    }

    [Test]
    public void SpanOverloadClassifiesOneImage()
    {
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 4));
        byte[] pixels = new byte[4 * 4 * 3];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = 160;
        }

        Prediction p = classifier.Classify(pixels, 4, 4, "span");

        Assert.That((p.Source, p.ClassIndex, p.Label), Is.EqualTo(("span", 8, "ship")));
        Assert.That(p.TopK, Has.Count.EqualTo(3));
    }

    [Test]
    public void TimingsAttributeEachStageToItsImages()
    {
        // Slow stages by known amounts (sleeps), so the test does not depend on timer resolution.
        var engine = new FakeEngine(batchSize: 4) { RunDelay = TimeSpan.FromMilliseconds(12) };
        using ImageClassifier classifier = Create(engine);
        List<ImageInput> inputs = [new SlowInput(TestData.SolidImage("slow", 4, 4, 20, 0, 0), TimeSpan.FromMilliseconds(10)), .. Images(2, 3)];

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions[0].Timings.DecodeMs, Is.GreaterThanOrEqualTo(10));
        Assert.That(predictions[1].Timings.DecodeMs, Is.LessThan(10));
        Assert.That(predictions.Select(p => p.Timings.InferenceMs), Is.All.GreaterThanOrEqualTo(4), "12 ms of batch inference over 3 images");
        Assert.That(predictions.Select(p => p.Timings.PreprocessMs), Is.All.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void DisposeDisposesAnOwnedEngineAndRefusesLaterCalls()
    {
        var engine = new FakeEngine(batchSize: 4);
        ImageClassifier classifier = Create(engine);
        classifier.Dispose();

        Assert.That(engine.Disposed, Is.True);
        Assert.That(() => classifier.Classify(Images(1)), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void DisposeWaitsForTheEngineRunInFlightBeforeDisposingTheEngine()
    {
        // Engines need not guard themselves: the classifier's gate keeps Dispose off a running engine.
        var engine = new FakeEngine(batchSize: 1) { RunDelay = TimeSpan.FromMilliseconds(300) };
        ImageClassifier classifier = Create(engine);
        Task<IReadOnlyList<Prediction>> run = Task.Run(() => classifier.Classify(Images(1, 2, 3)));
        Assert.That(() => engine.Computing, Is.EqualTo(1).After(5000, 5), "a batch is on the engine");

        classifier.Dispose();

        Assert.That((engine.Disposed, engine.DisposedDuringRun), Is.EqualTo((true, false)));
        Assert.That(run.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(10)), Is.True, "the run ends once the classifier is disposed");
    }

    private sealed class SlowInput(ImageInput inner, TimeSpan delay) : ImageInput(inner.Name)
    {
        internal override DecodedImage Decode(DecodeOptions options)
        {
            Thread.Sleep(delay);
            return inner.Decode(options);
        }
    }

    private sealed class SynchronousProgress(Action<ClassificationProgress> report) : IProgress<ClassificationProgress>
    {
        public void Report(ClassificationProgress value) => report(value);
    }
}
