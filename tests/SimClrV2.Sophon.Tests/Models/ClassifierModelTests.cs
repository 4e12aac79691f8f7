using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Models.Cifar10;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Models;

/// <summary>Models from the default package, bytes and streams classify like the file; a model without a manifest is said so.</summary>
public class ClassifierModelTests
{
    private static IReadOnlyList<Prediction> ClassifySamples(OnnxClassifierOptions options)
    {
        using ImageClassifier classifier = OnnxImageClassifier.Create(options);
        return classifier.Classify(TestData.SampleImages);
    }

    private static IEnumerable<(string, int, float)> Summary(IReadOnlyList<Prediction> predictions) =>
        predictions.Select(p => (p.Source, p.ClassIndex, MathF.Round(p.Score, 4)));

    [Test]
    public void WithNoModelTheDefaultPackagesModelClassifiesLikeTheFile()
    {
        IReadOnlyList<Prediction> fromFile = ClassifySamples(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        IReadOnlyList<Prediction> fromPackage = ClassifySamples(new OnnxClassifierOptions());

        Assert.That(Summary(fromPackage), Is.EqualTo(Summary(fromFile)));
        Assert.That(fromPackage.Select(p => p.Label), Does.Contain("cat").And.Contain("horse"), "labels come from the embedded manifest");
        Assert.That(ClassifierModel.Default, Is.SameAs(Cifar10Model.Model));
        Assert.That(ClassifierModel.TryGetDefault(out ClassifierModel? model), Is.True);
        Assert.That(model!.Manifest, Is.Not.Null);
        Assert.That(model.Name, Is.EqualTo(Path.GetFileName(TestData.DefaultModel)));
    }

    [Test]
    public void ModelsFromBytesAndStreamsClassifyLikeTheFile()
    {
        IReadOnlyList<Prediction> fromFile = ClassifySamples(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        ModelManifest manifest = ModelManifest.Load(ModelManifest.PathFor(TestData.DefaultModel));
        using FileStream stream = File.OpenRead(TestData.DefaultModel);
        ClassifierModel fromStream = ClassifierModel.FromStream("mine.onnx", stream, manifest);
        ClassifierModel fromBytes = ClassifierModel.FromBytes("mine.onnx", File.ReadAllBytes(TestData.DefaultModel), manifest);

        Assert.That(Summary(ClassifySamples(new OnnxClassifierOptions { Model = fromStream })), Is.EqualTo(Summary(fromFile)));
        Assert.That(Summary(ClassifySamples(new OnnxClassifierOptions { Model = fromBytes })), Is.EqualTo(Summary(fromFile)));
    }

    [Test]
    public void AManifestLoadsFromAStreamWithTheSameStrictness()
    {
        using var good = new MemoryStream("""{ "labels": ["a", "b"], "preprocessing": { "width": 8 } }"""u8.ToArray());
        using var misspelt = new MemoryStream("""{ "lables": ["a", "b"] }"""u8.ToArray());

        ModelManifest manifest = ModelManifest.Load(good, "upload.json");

        Assert.That(manifest.Labels, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(manifest.SourcePath, Is.EqualTo("upload.json"));
        Assert.That(() => ModelManifest.Load(misspelt, "upload.json"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'lables'").And.Message.Contains("upload.json"));
    }

    [Test]
    public void ModelPathAndModelTogetherAreRefused()
    {
        var options = new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Model = Cifar10Model.Model };

        Assert.That(() => OnnxImageClassifier.Create(options), Throws.ArgumentException.With.Message.Contains("set one of them"));
        Assert.That(options.GetValidationErrors(), Has.One.Contains("both set"));
    }

    [Test]
    public void AModelWithoutAManifestIsAWarningWithItsEventIdAndTheFoundOneIsLogged()
    {
        using var dir = new TempDir();
        string bare = dir.File("bare.onnx");
        File.Copy(TestData.DefaultModel, bare);
        using var logs = new CapturingLoggerProvider();

        using (ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = bare, LoggerFactory = logs }))
        {
            Assert.That(classifier.Labels[3], Is.EqualTo("3"), "without a manifest the classes are numbers");
        }

        using (OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, LoggerFactory = logs }))
        {
        }

        var missing = logs.Entries.Single(e => e.EventId.Id == SimClrV2EventIds.ManifestMissing);
        Assert.That(missing.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(missing.Message, Does.Contain("bare.onnx").And.Contain("bare.manifest.json").And.Contain("numbers"));
        var found = logs.Entries.Single(e => e.EventId.Id == SimClrV2EventIds.ManifestFound);
        Assert.That(found.Message, Does.Contain(ModelManifest.PathFor(TestData.DefaultModel)));
    }

    [Test]
    public void WithoutTheDefaultPackageTheErrorSaysWhichPackageToAdd()
    {
        ChildProcess.Result result = ChildProcess.Run("simclrv2-probe.dll", TimeSpan.FromMinutes(1), "default-model");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.Out + result.Err);
        Assert.That(result.Out, Does.Contain("InvalidOperationException").And.Contain("dotnet add package SimClrV2.Sophon.Models.Cifar10").And.Contain("ModelPath"));
    }

    [Test]
    public void APartialPreprocessingKeepsTheManifestsOtherFields()
    {
        // The case: only a size given by hand used to replace the manifest's mean/std with the record's defaults.
        IReadOnlyList<Prediction> manifestOnly = ClassifySamples(new OnnxClassifierOptions());
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { Preprocessing = new PreprocessingOverride { Width = 32, Height = 32 } });

        Assert.That(classifier.Preprocessing.Mean, Is.EqualTo(Cifar10Model.Model.Manifest!.Preprocessing!.Mean));
        Assert.That(Summary(classifier.Classify(TestData.SampleImages)), Is.EqualTo(Summary(manifestOnly)));
        Assert.That(classifier.Classify(Path.Combine(TestData.SampleImages, "chelsea.png"))[0].Label, Is.EqualTo("cat"));
    }
}
