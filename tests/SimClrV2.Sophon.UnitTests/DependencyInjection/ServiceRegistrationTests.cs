using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.DependencyInjection;

/// <summary>The classifiers in a real Generic Host: options from configuration, validated at start, logging and disposal by the container.</summary>
public class ServiceRegistrationTests
{
    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> register, CapturingLoggerProvider? logs = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        register(builder.Services, builder.Configuration.GetSection("Classifier"));
        return builder.Build();
    }

    [Test]
    public async Task TheOnnxClassifierComesFromConfigurationWithTheContainersLogger()
    {
        using var logs = new CapturingLoggerProvider();
        using IHost host = Build(
            new() { ["Classifier:ModelPath"] = TestData.DefaultModel, ["Classifier:BatchSize"] = "2", ["Classifier:TopK"] = "3" },
            (services, section) => services.AddOnnxImageClassifier(section),
            logs);
        await host.StartAsync();

        IImageClassifier classifier = host.Services.GetRequiredService<IImageClassifier>();
        IReadOnlyList<Prediction> predictions = classifier.Classify(TestData.SampleImages);

        Assert.That(classifier.BatchSize, Is.EqualTo(2));
        Assert.That(predictions, Has.Count.EqualTo(5).And.All.Matches<Prediction>(p => p.Succeeded && p.TopK.Count == 3));
        Assert.That(host.Services.GetRequiredService<IImageClassifier>(), Is.SameAs(classifier), "one singleton");
        Assert.That(logs.Entries.Select(e => e.EventId.Id), Does.Contain(SimClrV2EventIds.ManifestFound).And.Contain(SimClrV2EventIds.ClassifierCreated).And.Contain(SimClrV2EventIds.RunCompleted));
        await host.StopAsync();
    }

    [Test]
    public async Task WrongOptionsFailTheHostsStartNamingEachOption()
    {
        using IHost host = Build(
            new() { ["Classifier:ModelPath"] = "nowhere/model.onnx", ["Classifier:TopK"] = "0", ["Classifier:BatchSize"] = "5000" },
            (services, section) => services.AddOnnxImageClassifier(section));

        OptionsValidationException? failure = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(failure!.Failures, Has.Some.StartsWith("Classifier:TopK is 0"));
        Assert.That(failure.Failures, Has.Some.StartsWith("Classifier:BatchSize is 5000"));
        Assert.That(failure.Failures, Has.Some.StartsWith("Classifier:ModelPath 'nowhere/model.onnx' does not exist"));
        await Task.CompletedTask;
    }

    [Test]
    public void SeveralMisspeltKeysAreNamedAllAtOnce()
    {
        using IHost misspelt = Build(new() { ["Classifier:TopKK"] = "3", ["Classifier:BatchSise"] = "4", ["Classifier:ModelPath"] = "m.onnx" }, (services, section) => services.AddOnnxImageClassifier(section));

        Assert.That(() => misspelt.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value,
            Throws.InvalidOperationException.With.Message.Contains("Classifier:TopKK, Classifier:BatchSise are not options here").Or.Message.Contains("Classifier:BatchSise, Classifier:TopKK are not options here"));
    }

    [Test]
    public void EveryWrongKeyAndValueInEverySectionIsNamedInOneMessage()
    {
        using IHost host = Build(
            new()
            {
                ["Classifier:TopKK"] = "3", ["Classifier:Preprocessing:Widht"] = "64", ["Classifier:Decode:MaxPixel"] = "9",
                ["Classifier:Preprocessing:Resize"] = "squash", ["Classifier:BatchSize"] = "four", ["Classifier:Model"] = "m.onnx", ["Classifier:LoggerFactory"] = "x",
            },
            (services, section) => services.AddOnnxImageClassifier(section));

        InvalidOperationException? error = Assert.Throws<InvalidOperationException>(() => _ = host.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value);

        Assert.That(error!.Message, Does.Contain("Classifier:Preprocessing:Widht is not an option here; the options are: Width, Height"));
        Assert.That(error.Message, Does.Contain("Classifier:Decode:MaxPixel is not an option here; the options are: MaxPixels"));
        Assert.That(error.Message, Does.Contain("Classifier:Preprocessing:Resize is 'squash'; use one of: Stretch, CenterCrop, Letterbox"));
        Assert.That(error.Message, Does.Contain("Classifier:BatchSize is 'four', which is not a valid Int32"));
        Assert.That(error.Message, Does.Contain("Classifier:TopKK").And.Contain("Classifier:Model").And.Contain("Classifier:LoggerFactory"), "code-only options are not configuration keys");
        Assert.That(error.Message, Does.Contain("IntraOpNumThreads").And.Not.Contain("ConfigureSession,"), "the known keys come from the options type itself");
    }

    [Test]
    public void AMisspeltKeyOrAnUnparsableValueIsNamed()
    {
        using IHost misspelt = Build(new() { ["Classifier:TopKK"] = "3" }, (services, section) => services.AddOnnxImageClassifier(section));
        using IHost unparsable = Build(new() { ["Classifier:Preprocessing:Width"] = "wide" }, (services, section) => services.AddOnnxImageClassifier(section));
        using IHost badEnum = Build(new() { ["Classifier:Layout"] = "sideways" }, (services, section) => services.AddOnnxImageClassifier(section));

        Assert.That(() => misspelt.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value,
            Throws.InvalidOperationException.With.Message.Contains("Classifier:TopKK is not an option").And.Message.Contains("TopK"));
        Assert.That(() => unparsable.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value,
            Throws.InvalidOperationException.With.Message.Contains("Classifier:Preprocessing:Width is 'wide'"));
        Assert.That(() => badEnum.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value,
            Throws.InvalidOperationException.With.Message.Contains("Classifier:Layout is 'sideways'").And.Message.Contains("Nhwc"));
    }

    [Test]
    public async Task APartialPreprocessingSectionKeepsTheManifestsMeanAndStd()
    {
        using IHost host = Build(
            new() { ["Classifier:Preprocessing:Width"] = "32", ["Classifier:Preprocessing:Height"] = "32", ["Classifier:Preprocessing:Resize"] = "CenterCrop" },
            (services, section) => services.AddOnnxImageClassifier(section));
        await host.StartAsync();
        IImageClassifier classifier = host.Services.GetRequiredService<IImageClassifier>();

        Assert.That(classifier.Preprocessing.Mean![0], Is.EqualTo(0.4914f).Within(1e-4f), "the default model's manifest mean");
        Assert.That(classifier.Preprocessing.Resize, Is.EqualTo(SimClrV2.Sophon.Preprocess.ResizeMode.CenterCrop));
        Assert.That(classifier.Classify(Path.Combine(TestData.SampleImages, "horse.png"))[0].Label, Is.EqualTo("horse"));
        await host.StopAsync();
    }

    [Test]
    public async Task ListsAndSectionsBindAndCodeConfigurationComesLast()
    {
        using IHost host = Build(
            new()
            {
                ["Classifier:Labels:0"] = "a", ["Classifier:Labels:1"] = "b", ["Classifier:Labels:2"] = "c", ["Classifier:Labels:3"] = "d", ["Classifier:Labels:4"] = "e",
                ["Classifier:Labels:5"] = "f", ["Classifier:Labels:6"] = "g", ["Classifier:Labels:7"] = "h", ["Classifier:Labels:8"] = "i", ["Classifier:Labels:9"] = "j",
                ["Classifier:Decode:MaxPixels"] = "100", ["Classifier:TopK"] = "2",
            },
            (services, section) => services.AddOnnxImageClassifier(section, o => o.TopK = 4));
        await host.StartAsync();
        IImageClassifier classifier = host.Services.GetRequiredService<IImageClassifier>();

        IReadOnlyList<Prediction> predictions = classifier.Classify(TestData.SampleImages);

        Assert.That(classifier.Labels, Is.EqualTo("abcdefghij".Select(c => c.ToString())));
        Assert.That(predictions, Has.All.Matches<Prediction>(p => p.ErrorKind == PredictionErrorKind.TooLarge), "the photos exceed MaxPixels = 100");
        Assert.That(host.Services.GetRequiredService<IOptions<OnnxClassifierOptions>>().Value.TopK, Is.EqualTo(4));
        await host.StopAsync();
    }

    [Test]
    public async Task TheContainerDisposesTheClassifier()
    {
        IHost host = Build(new(), (services, _) => services.AddOnnxImageClassifier());
        await host.StartAsync();
        IImageClassifier classifier = host.Services.GetRequiredService<IImageClassifier>();
        Assert.That(classifier.Classify(TestData.SampleImages), Has.Count.EqualTo(5));
        await host.StopAsync();

        host.Dispose();

        Assert.That(() => classifier.Classify(TestData.SampleImages), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void TheSophonClassifiersOptionsBindAndValidate()
    {
        using IHost host = Build(
            new()
            {
                ["Classifier:ModelPath"] = TestData.DefaultModel, ["Classifier:DeviceIds:0"] = "0", ["Classifier:DeviceIds:1"] = "0",
                ["Classifier:Preprocess"] = "Bmcv", ["Classifier:Library:SearchDirectory"] = "/opt/elsewhere",
            },
            (services, section) => services.AddSophonImageClassifier(section));

        OptionsValidationException? failure = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var options = new SophonClassifierOptions();

        Assert.That(failure!.Failures, Has.One.StartsWith("Classifier:DeviceIds is [0, 0]"));
        Assert.That(failure.Failures.ToList(), Has.Count.EqualTo(1), "the other values bound and are valid: " + string.Join(" | ", failure.Failures));
        Assert.That(options.GetValidationErrors(), Has.One.StartsWith("ModelPath is not set"));
    }
}
