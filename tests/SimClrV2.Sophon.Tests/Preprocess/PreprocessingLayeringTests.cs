using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Tests.Preprocess;

/// <summary>Explicit preprocessing options layer over a manifest field by field.</summary>
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
        PreprocessingOptions layered = new PreprocessingOptions { Width = 32, Std = [7f, 7f, 7f] }.LayeredOver(Manifest);

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

        Assert.That(new PreprocessingOptions().LayeredOver(Manifest), Is.EqualTo(Manifest));
        Assert.That(full.LayeredOver(Manifest), Is.EqualTo(full));
    }

    [Test]
    public void WithExpressionsAndPresetsCountAsGiven()
    {
        PreprocessingOptions fromPreset = PreprocessingOptions.Cifar10.LayeredOver(Manifest);
        PreprocessingOptions fromWith = (new PreprocessingOptions() with { Height = 10 }).LayeredOver(Manifest);

        Assert.That(fromPreset.Mean, Is.EqualTo(PreprocessingOptions.Cifar10.Mean));
        Assert.That(fromPreset.Resize, Is.EqualTo(ResizeMode.Letterbox), "the preset says nothing about resizing");
        Assert.That(fromWith, Is.EqualTo(Manifest with { Height = 10 }));
    }
}
