using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Postprocess;

/// <summary>Models that end in softmax: their probabilities are used as they are, and a logits model whose outputs already sum to 1 is flagged once.</summary>
public class OutputKindTests
{
    /// <summary>Collects log messages.</summary>
    private sealed class Recorder : ILoggerFactory, ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }

        public void Dispose()
        {
        }
    }

    [Test]
    public void ProbabilitiesAreRankedAndReportedAsTheyAre()
    {
        var post = new Postprocessor(4, null, 3, OutputKind.Probabilities);

        Prediction p = post.Create([0.1f, 0.6f, 0.25f, 0.05f], "x", 0, null, default);

        Assert.That(p.TopK!.Select(s => (s.ClassIndex, s.Score)), Is.EqualTo(new[] { (1, 0.6f), (2, 0.25f), (0, 0.1f) }));
        Assert.That(Postprocessor.LooksLikeProbabilities([0.1f, 0.6f, 0.25f, 0.05f]), Is.True);
        Assert.That(Postprocessor.LooksLikeProbabilities([2f, -1f, 0f, 0f]), Is.False);
    }

    [Test]
    public void AModelEndingInSoftmaxScoresLikeTheLogitsModelWhenTheManifestSaysSo()
    {
        List<SimClrV2.Sophon.Decode.ImageInput> images = FakeEngine.Images(3, 7, 1);
        using var logits = new ImageClassifier(new FakeEngine(4), new ClassifierOptions { Preprocessing = FakeEngine.RawOverride });
        using ImageClassifier probabilities = new ImageClassifier(
            new FakeEngine(4) { Probabilities = true },
            new ClassifierOptions { Preprocessing = FakeEngine.RawOverride },
            new ModelManifest { OutputKind = OutputKind.Probabilities });

        IReadOnlyList<Prediction> expected = logits.Classify(images);
        IReadOnlyList<Prediction> actual = probabilities.Classify(images);

        Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(new[] { 3, 7, 1 }));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-5), "not softmaxed a second time");
    }

    [Test]
    public void TheManifestNamesTheOutputKind()
    {
        using var dir = new TempDir();
        string path = dir.File("m.manifest.json");
        File.WriteAllText(path, """{ "outputKind": "probabilities" }""");

        Assert.That(ModelManifest.Load(path).OutputKind, Is.EqualTo(OutputKind.Probabilities));
        File.WriteAllText(path, "{}");
        Assert.That(ModelManifest.Load(path).OutputKind, Is.Null, "absent: logits");
    }

    [Test]
    public void ALogitsModelWhoseOutputsSumToOneGetsOneWarning()
    {
        var log = new Recorder();
        using var classifier = new ImageClassifier(new FakeEngine(2) { Probabilities = true }, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, LoggerFactory = log });

        IReadOnlyList<Prediction> twiceSoftmaxed = classifier.Classify(FakeEngine.Images(3, 7, 1, 5, 2));
        classifier.Classify(FakeEngine.Images(4));

        Assert.That(log.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("outputKind", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(twiceSoftmaxed.Select(p => p.Score), Is.All.LessThan(0.3f), "what softmaxing probabilities again does to the scores");

        var quiet = new Recorder();
        using var logitsModel = new ImageClassifier(new FakeEngine(2), new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, LoggerFactory = quiet });
        logitsModel.Classify(FakeEngine.Images(3, 7));
        Assert.That(quiet.Entries.Where(e => e.Level == LogLevel.Warning), Is.Empty);
    }
}
