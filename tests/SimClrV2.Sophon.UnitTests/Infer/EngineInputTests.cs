using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Tests.Infer;

/// <summary>One rule reads every engine's image input: layout detected where the shape tells it, checked where it is named, errors that name both.</summary>
public class EngineInputTests
{
    [TestCase(new[] { -1, 3, 32, 32 }, TensorLayout.Nchw, 32, 32)]
    [TestCase(new[] { 4, 3, 24, 40 }, TensorLayout.Nchw, 24, 40)]
    [TestCase(new[] { -1, 32, 32, 3 }, TensorLayout.Nhwc, 32, 32)]
    [TestCase(new[] { 1, 24, 40, 3 }, TensorLayout.Nhwc, 24, 40)]
    public void TheLayoutIsDetectedWhereTheShapeIsUnambiguous(int[] dims, TensorLayout layout, int height, int width)
    {
        EngineInput input = EngineInput.FromShape("x", TensorElementType.Float32, dims);

        Assert.That((input.Layout, input.Channels, input.Height, input.Width), Is.EqualTo((layout, 3, height, width)));
    }

    [Test]
    public void AShapeThatReadsBothWaysNeedsTheLayoutNamed()
    {
        int[] dims = [1, 3, 8, 3];

        Assert.That(() => EngineInput.FromShape("x", TensorElementType.Float32, dims), Throws.ArgumentException.With.Message.Contains("reads as NCHW and as NHWC").And.Message.Contains("\"layout\""));
        Assert.That(EngineInput.FromShape("x", TensorElementType.Float32, dims, TensorLayout.Nhwc), Has.Property(nameof(EngineInput.Height)).EqualTo(3).And.Property(nameof(EngineInput.Width)).EqualTo(8));
        Assert.That(EngineInput.FromShape("x", TensorElementType.Float32, dims, TensorLayout.Nchw), Has.Property(nameof(EngineInput.Height)).EqualTo(8).And.Property(nameof(EngineInput.Width)).EqualTo(3));
    }

    [Test]
    public void ANamedLayoutTheShapeContradictsIsRefusedNamingBoth()
    {
        Assert.That(
            () => EngineInput.FromShape("input", TensorElementType.Float32, [-1, 32, 32, 3], TensorLayout.Nchw),
            Throws.ArgumentException.With.Message.EqualTo("The network input 'input' is configured as layout nchw but has shape [-1, 32, 32, 3]: 32 channels where nchw keeps them; only 3-channel RGB/BGR inputs are supported; the shape reads as NHWC: set layout to nhwc."));
        Assert.That(
            () => EngineInput.FromShape("input", TensorElementType.Float32, [-1, 3, 32, 32], TensorLayout.Nhwc),
            Throws.ArgumentException.With.Message.Contains("layout nhwc but has shape [-1, 3, 32, 32]"));
    }

    [TestCase(new[] { 1, 1, 28, 28 }, "neither in NCHW's place")]
    [TestCase(new[] { 1, 3, 32 }, "4-D image tensor")]
    [TestCase(new[] { 1, 3, -1, -1 }, "fixed channels, height and width")]
    public void NonImageShapesAreRefusedWithTheShapeSeen(int[] dims, string says)
    {
        Assert.That(
            () => EngineInput.FromShape("x", TensorElementType.Float32, dims),
            Throws.ArgumentException.With.Message.Contains(says).And.Message.Contains($"[{string.Join(", ", dims)}]"));
    }
}
