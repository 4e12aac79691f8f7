using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Results;

public class EvaluationTests
{
    private static readonly string[] Labels = ["a", "b", "c"];

    [Test]
    public void MatchesByNameNotPosition()
    {
        var truth = new Dictionary<string, int> { ["x"] = 0, ["y"] = 1, ["z"] = 2, ["w"] = 2 };
        PredictionRecord[] results =
        [
            new("z", 2, 0.9), new("x", 0, 0.8), new("y", 2, 0.7), new("w", -1, 0, "corrupt"), new("stranger", 1, 0.5),
        ];

        AccuracyReport report = Evaluation.Evaluate(results, truth, Labels);

        Assert.That((report.Correct, report.Evaluated, report.Failed, report.Missing, report.Unmatched), Is.EqualTo((2, 4, 1, 0, 1)));
        Assert.That(report.AccuracyPercent, Is.EqualTo(50.0));
        Assert.That(report.Confusion[1, 2], Is.EqualTo(1));
        Assert.That(report.ClassAccuracyPercent(1), Is.Zero);
        Assert.That(report.Format(), Does.StartWith("accuracy: 50.000% (2/4)"));
    }

    [Test]
    public void ImagesWithoutResultsAreCountedAsMissing()
    {
        var truth = new Dictionary<string, int> { ["x"] = 0, ["y"] = 1 };

        AccuracyReport report = Evaluation.Evaluate([new PredictionRecord("x", 0, 1)], truth, Labels);

        Assert.That((report.AccuracyPercent, report.Missing), Is.EqualTo((100.0, 1)));
    }

    [Test]
    public void DuplicateResultIsRefused()
    {
        var truth = new Dictionary<string, int> { ["x"] = 0 };
        Assert.That(() => Evaluation.Evaluate([new PredictionRecord("x", 0, 1), new PredictionRecord("x", 0, 1)], truth, Labels), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void FolderGroundTruthComesFromClassFolders()
    {
        using var dir = new TempDir();
        TestData.WritePng(Path.Combine(dir.Path, "c"), "1.png", 2, 2, 1);
        TestData.WritePng(Path.Combine(dir.Path, "a"), "2.png", 2, 2, 2);

        IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(dir.Path, Labels);

        Assert.That(truth, Is.EquivalentTo(new Dictionary<string, int> { ["c/1.png"] = 2, ["a/2.png"] = 0 }), "named by the path under the folder");
    }
}
