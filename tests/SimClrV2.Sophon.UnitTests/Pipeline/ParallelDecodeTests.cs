using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Pipeline;

/// <summary>Decoding on several threads ahead of preprocessing: same results in the same order, bounded, cancellable.</summary>
public class ParallelDecodeTests
{
    /// <summary>A solid 4x4 image of class k whose decode takes <paramref name="delay"/> and is counted.</summary>
    private sealed class SlowInput(string name, int k, TimeSpan delay, Gauge gauge) : ImageInput(name)
    {
        internal override DecodedImage Decode(DecodeOptions options)
        {
            gauge.Enter();
            try
            {
                Thread.Sleep(delay);
                return TestData.SolidImage(Name, 4, 4, (byte)(k * 20), 0, 0).Decode(options);
            }
            finally
            {
                gauge.Exit();
            }
        }
    }

    /// <summary>Counts decodes started and the most running at once.</summary>
    private sealed class Gauge
    {
        private int _running;
        private int _max;
        private int _started;

        public int Max => Volatile.Read(ref _max);

        public int Started => Volatile.Read(ref _started);

        public void Enter()
        {
            Interlocked.Increment(ref _started);
            int now = Interlocked.Increment(ref _running);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }
        }

        public void Exit() => Interlocked.Decrement(ref _running);
    }

    private static ImageClassifier Classifier(int decodeThreads, int batch = 4) =>
        new(new FakeEngine(batch), new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, DecodeThreads = decodeThreads });

    [Test]
    public void ResultsErrorsAndOrderAreTheSameWithOneOrManyDecodeThreads()
    {
        using var dir = new TempDir();
        string corrupt = dir.File("corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var random = new Random(5);
        List<ImageInput> inputs = Enumerable.Range(0, 41)
            .Select(i => i % 7 == 3 ? ImageInput.FromFile(corrupt, $"bad{i}")
                : i % 11 == 5 ? ImageInput.FromError($"err{i}", "no such camera")
                : (ImageInput)new SlowInput($"img{i}", i % 10, TimeSpan.FromMilliseconds(random.Next(0, 4)), new Gauge()))
            .ToList();

        List<Prediction> one, many;
        using (ImageClassifier classifier = Classifier(1))
        {
            one = [.. classifier.Classify(inputs)];
        }

        using (ImageClassifier classifier = Classifier(4))
        {
            many = [.. classifier.Classify(inputs)];
        }

        Assert.That(many.Select(p => (p.Source, p.InputIndex, p.ClassIndex, p.Error)), Is.EqualTo(one.Select(p => (p.Source, p.InputIndex, p.ClassIndex, p.Error))));
        Assert.That(many.Select(p => p.InputIndex), Is.EqualTo(Enumerable.Range(0, 41)));
        Assert.That(many.Count(p => !p.Succeeded), Is.EqualTo(inputs.Count(i => i.Name.StartsWith("bad", StringComparison.Ordinal) || i.Name.StartsWith("err", StringComparison.Ordinal))));
        Assert.That(many.Where(p => p.Succeeded).Select(p => p.ClassIndex), Is.EqualTo(many.Where(p => p.Succeeded).Select(p => int.Parse(p.Source[3..], System.Globalization.CultureInfo.InvariantCulture) % 10)));
    }

    [Test]
    public void DecodesRunConcurrentlyUpToTheThreadCountAndTheirTimesAreTrue()
    {
        var gauge = new Gauge();
        List<ImageInput> inputs = Enumerable.Range(0, 24).Select(i => (ImageInput)new SlowInput($"img{i}", i % 10, TimeSpan.FromMilliseconds(30), gauge)).ToList();
        using ImageClassifier classifier = Classifier(3);

        // Decodes run on the thread pool: on a 2-core machine whose pool threads earlier tests left
        // busy, its slow thread injection would serialise them, which is not what is measured here.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), io);
        IReadOnlyList<Prediction> predictions;
        try
        {
            predictions = classifier.Classify(inputs);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }

        Assert.That(classifier.DecodeThreads, Is.EqualTo(3));
        Assert.That(gauge.Max, Is.InRange(2, 3), "decodes overlap, never more than the decode threads");
        Assert.That(predictions.Select(p => p.Timings.DecodeMs), Is.All.GreaterThanOrEqualTo(25.0), "each image's own decode time");

        var sequential = new Gauge();
        using ImageClassifier single = Classifier(1);
        single.Classify(inputs.Take(4).Select((_, i) => (ImageInput)new SlowInput($"s{i}", 1, TimeSpan.FromMilliseconds(5), sequential)).ToList());
        Assert.That(sequential.Max, Is.EqualTo(1));
    }

    [Test]
    public async Task CancellationStopsTheDecodeWorkersPromptly()
    {
        var gauge = new Gauge();
        List<ImageInput> inputs = Enumerable.Range(0, 400).Select(i => (ImageInput)new SlowInput($"img{i}", 1, TimeSpan.FromMilliseconds(20), gauge)).ToList();
        using ImageClassifier classifier = Classifier(4);
        using var cts = new CancellationTokenSource();

        int received = 0;
        Assert.That(
            async () =>
            {
                await foreach (Prediction _ in classifier.ClassifyAsync(inputs, cancellationToken: cts.Token))
                {
                    if (++received == 1)
                    {
                        await cts.CancelAsync();
                    }
                }
            },
            Throws.InstanceOf<OperationCanceledException>());
        int startedAtCancel = gauge.Started;
        await Task.Delay(200);

        Assert.That(gauge.Started, Is.EqualTo(startedAtCancel), "no decode starts after the run ended");
        Assert.That(startedAtCancel, Is.LessThan(60), "the workers stopped long before the 400 inputs");
    }

    [Test]
    public void DecodeThreadsAreValidated()
    {
        Assert.That(() => Classifier(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("DecodeThreads"));
        using ImageClassifier defaults = Classifier(0);
        Assert.That(defaults.DecodeThreads, Is.EqualTo(Environment.ProcessorCount));
    }
}
