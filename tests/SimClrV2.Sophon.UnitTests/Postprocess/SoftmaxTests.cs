using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Tests.Postprocess;

public class SoftmaxTests
{
    [Test]
    public void MatchesTheTextbookFormulaOnSmallLogits()
    {
        float[] logits = [1.5f, -0.3f, 2.2f, 0f, -4f];
        var p = new float[5];

        Softmax.Compute(logits, p);

        double sum = logits.Sum(l => Math.Exp(l));
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.That(p[i], Is.EqualTo(Math.Exp(logits[i]) / sum).Within(1e-6));
        }
    }

    [Test]
    public void HugeLogitsStayFinite()
    {
        float[] logits = [1000f, -1000f, 999f, 0f];
        var p = new float[4];

        Softmax.Compute(logits, p);

        Assert.That(p, Is.All.Not.NaN);
        Assert.That(p.Sum(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(p[0], Is.EqualTo(1 / (1 + Math.Exp(-1))).Within(1e-6));
        Assert.That(p[1], Is.Zero);
    }

    [Test]
    public void AllEqualLogitsGiveUniformProbabilities()
    {
        var p = new float[10];
        Softmax.Compute(Enumerable.Repeat(-1000f, 10).ToArray(), p);
        Assert.That(p, Is.All.EqualTo(0.1f).Within(1e-6));
    }

    [Test]
    public void NonFiniteLogitIsReported()
    {
        Assert.That(() => Softmax.Compute([1f, float.NaN], new float[2]), Throws.ArgumentException.With.Message.Contains("non-finite"));
    }

    [Test]
    public void TopKIsSortedDescendingWithLowerIndexFirstOnTies()
    {
        float[] values = [0.1f, 0.3f, 0.05f, 0.3f, 0.25f];
        var top = new int[3];

        Softmax.TopK(values, top);

        Assert.That(top, Is.EqualTo(new[] { 1, 3, 4 }));
        var best = new int[1];
        Softmax.TopK(values, best);
        Assert.That(best, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void PostprocessorBuildsPredictionWithLabelsAndTopK()
    {
        var post = new Postprocessor(3, ["a", "b", "c"], topK: 5);
        Prediction p = post.Create([0f, 3f, 1f], "x.png", 7, 1, default);

        Assert.That(post.TopK, Is.EqualTo(3), "top-k is capped at the class count");
        Assert.That((p.ClassIndex, p.Label, p.Source, p.InputIndex, p.Succeeded), Is.EqualTo((1, "b", "x.png", 7, true)));
        Assert.That(p.TopK.Select(s => s.Label), Is.EqualTo(new[] { "b", "c", "a" }));
        Assert.That(p.Score, Is.EqualTo(p.TopK[0].Score));
        Assert.That(p.TopK.Sum(s => s.Score), Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void ThePipelinesProbabilitiesAreTheSoftmaxOfItsRow()
    {
        float[] logits = [0.5f, -2f, 3.25f, 1f, 0f, 8f, -7.5f];
        var expected = new float[logits.Length];
        Softmax.Compute(logits, expected);

        Prediction p = new Postprocessor(logits.Length, null, logits.Length).Create(logits, "x", 0, null, default);

        Assert.That(p.TopK.OrderBy(s => s.ClassIndex).Select(s => s.Score), Is.EqualTo(expected).Within(1e-6f));
    }

    [Test]
    public void ANonFiniteOutputIsAnErrorEntryNamingTheClass()
    {
        Prediction logits = new Postprocessor(3, null, 1).Create([1f, float.PositiveInfinity, 0f], "x", 0, null, default);
        Prediction probabilities = new Postprocessor(3, null, 1, OutputKind.Probabilities).Create([0.5f, float.NaN, 0.5f], "x", 0, null, default);

        Assert.That(logits.ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidOutput));
        Assert.That(logits.Error, Does.Contain("for class 1"));
        Assert.That(probabilities.ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidOutput));
        Assert.That(probabilities.Error, Does.Contain("NaN for class 1"));
    }

    [Test]
    public void LabelCountMustMatchClassCount()
    {
        Assert.That(() => new Postprocessor(10, ["a", "b"], 1), Throws.ArgumentException.With.Message.Contains("2 labels but the model has 10 outputs"));
    }
}
