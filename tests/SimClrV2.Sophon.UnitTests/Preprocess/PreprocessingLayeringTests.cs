using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Tests.Preprocess;

/// <summary>A preprocessing override layers over a manifest's preprocessing field by field: one rule, one mechanism (given or null).</summary>
public class PreprocessingLayeringTests
{
    private static readonly PreprocessingOptions Manifest = new()
    {
        Width = 64, Height = 48, ChannelOrder = ChannelOrder.Bgr, Scale = 1f, Mean = [1f, 2f, 3f], Std = [4f, 5f, 6f],
        Resize = ResizeMode.Letterbox, CropFraction = 0.5f, PadValue = [9, 9, 9], Interpolation = ResizeInterpolation.Nearest,
    };

    [Test]
    public void OnlyTheGivenFieldsWin()
    {
        PreprocessingOptions layered = new PreprocessingOverride { Width = 32, Std = [7f, 7f, 7f] }.Over(Manifest);

        Assert.That(layered, Is.EqualTo(Manifest with { Width = 32, Std = [7f, 7f, 7f] }));
    }

    [Test]
    public void NothingGivenKeepsEverythingAndEverythingGivenReplacesEverything()
    {
        var full = new PreprocessingOptions
        {
            Width = 8, Height = 8, ChannelOrder = ChannelOrder.Rgb, Scale = 0.5f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
            Resize = ResizeMode.Stretch, CropFraction = 1f, PadValue = [0, 0, 0], Interpolation = ResizeInterpolation.Bilinear,
        };

        Assert.That(new PreprocessingOverride().Over(Manifest), Is.EqualTo(Manifest));
        Assert.That(PreprocessingOverride.FromPreprocessingOptions(full).Over(Manifest), Is.EqualTo(full));
    }

    [Test]
    public void APresetGivesEveryField()
    {
        Assert.That(PreprocessingOverride.Cifar10.Over(Manifest), Is.EqualTo(PreprocessingOptions.Cifar10));
        Assert.That(PreprocessingOverride.UnitRange.Over(Manifest), Is.EqualTo(PreprocessingOptions.UnitRange));
        Assert.That(new PreprocessingOverride { Width = 64, Mean = [1f, 2f, 3f] }.ToString(), Is.EqualTo("Width 64, Mean (1, 2, 3)"));
        Assert.That(new PreprocessingOverride().ToString(), Is.EqualTo("(nothing given)"));
    }

    [Test]
    public void AWrongFieldIsNamed()
    {
        Assert.That(() => new PreprocessingOverride { PadValue = [1, 2, 300] }.Validate(), Throws.ArgumentException.With.Message.Contains("padValue"));
        Assert.That(() => new PreprocessingOverride { Std = [1f, 0f, 1f] }.Validate(), Throws.ArgumentException.With.Message.Contains("Std"));
        Assert.That(() => new PreprocessingOverride { Width = 64 }.Validate(), Throws.Nothing);
        Assert.That(
            new SimClrV2.Sophon.Pipeline.ClassifierOptions { Preprocessing = new PreprocessingOverride { Std = [1f, 0f, 1f] } }.GetValidationErrors(),
            Has.One.StartsWith("Preprocessing: Preprocessing Std").And.One.Not.Contains("preprocessing:"),
            "the option named once; the manifest's 'preprocessing:' prefix is the manifest's");
    }
}
