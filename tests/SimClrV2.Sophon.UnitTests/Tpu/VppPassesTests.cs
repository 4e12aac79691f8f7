using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.UnitTests.Tpu;

/// <summary>The VPP passes of a resize plan: the chip's scale ratio per resize, at most 255 pixels of border a side per pass.</summary>
public class VppPassesTests
{
    private static PreprocessingOptions Letterbox(int width, int height) =>
        PreprocessingOptions.Cifar10 with { Resize = ResizeMode.Letterbox, Width = width, Height = height };

    [Test]
    public void AFullHdFrameLetterboxedIntoA512x512InputIsOnePaddedPass()
    {
        ResizePlan plan = ResizePlan.For(1920, 1080, Letterbox(512, 512));

        IReadOnlyList<VppPass> passes = VppPasses.Plan(plan, 512, 512, BmcvLimits.Bm1684X);

        Assert.That(passes, Is.EqualTo(new[] { new VppPass(512, 512, 0, 112, 512, 288) }));
    }

    [TestCase(1920, 160, 640, 640)]
    [TestCase(160, 1920, 640, 640)]
    [TestCase(4000, 100, 2048, 1024)]
    [TestCase(8000, 60, 1024, 1024)]
    public void AWideBorderIsBuiltInPassesOfAtMost255PixelsASide(int width, int height, int toWidth, int toHeight)
    {
        ResizePlan plan = ResizePlan.For(width, height, Letterbox(toWidth, toHeight));

        IReadOnlyList<VppPass> passes = VppPasses.Plan(plan, toWidth, toHeight, BmcvLimits.Bm1684X);

        Assert.That(passes[^1], Has.Property("Width").EqualTo(toWidth).And.Property("Height").EqualTo(toHeight));
        foreach (VppPass pass in passes)
        {
            Assert.That(new[] { pass.DstX, pass.DstY, pass.Width - pass.DstX - pass.DstWidth, pass.Height - pass.DstY - pass.DstHeight }, Is.All.InRange(0, VppPasses.MaxPadding), pass.ToString());
        }

        for (int p = 1; p < passes.Count; p++)
        {
            if (passes[p].Pads && passes[p - 1].Pads)
            {
                Assert.That((passes[p].DstWidth, passes[p].DstHeight), Is.EqualTo((passes[p - 1].Width, passes[p - 1].Height)), "a border pass copies the canvas so far 1:1");
            }
        }

        // The image lands where the plan says: the border passes' offsets add up to the plan's.
        int x = 0, y = 0, first = passes.Count - 1;
        while (first > 0 && passes[first - 1].Pads)
        {
            first--;
        }

        for (int p = first; p < passes.Count; p++)
        {
            (x, y) = (x + passes[p].DstX, y + passes[p].DstY);
        }

        Assert.That((x, y, passes[first].DstWidth, passes[first].DstHeight), Is.EqualTo((plan.DstX, plan.DstY, plan.DstWidth, plan.DstHeight)));
        Assert.That(passes.Count(p => p.Pads), Is.GreaterThan(1), "the border is wider than 255 pixels");
    }

    [Test]
    public void StretchAndCropNeverPad()
    {
        foreach (ResizeMode mode in new[] { ResizeMode.Stretch, ResizeMode.CenterCrop })
        {
            ResizePlan plan = ResizePlan.For(1920, 1080, PreprocessingOptions.Cifar10 with { Resize = mode });

            IReadOnlyList<VppPass> passes = VppPasses.Plan(plan, 32, 32, BmcvLimits.Bm1684);

            Assert.That(passes, Has.All.Matches<VppPass>(p => !p.Pads), mode.ToString());
            Assert.That(passes.Select(p => (p.Width, p.Height)), Is.EqualTo(BmcvLimits.Bm1684.Passes(plan.CropWidth, plan.CropHeight, 32, 32)), mode.ToString());
        }
    }
}
