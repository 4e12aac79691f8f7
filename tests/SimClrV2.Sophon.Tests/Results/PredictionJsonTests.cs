using System.Text;
using System.Text.Json;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Results;

public class PredictionJsonTests
{
    private static readonly Prediction[] Predictions =
    [
        new() { Source = "a.png", ClassIndex = 3, Label = "cat", Score = 0.75f },
        new() { Source = "b.png", Error = "corrupt" },
    ];

    [Test]
    public void WritesTheReferenceFormatWithIndentFourAndErrorEntries()
    {
        using var stream = new MemoryStream();
        PredictionJson.Write(stream, Predictions);
        string json = Encoding.UTF8.GetString(stream.ToArray());

        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement[] items = doc.RootElement.EnumerateArray().ToArray();
        Assert.That(items[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "filename", "prediction", "score" }));
        Assert.That((items[0].GetProperty("filename").GetString(), items[0].GetProperty("prediction").GetInt32(), items[0].GetProperty("score").GetDouble()), Is.EqualTo(("a.png", 3, 0.75)));
        Assert.That(items[1].GetProperty("prediction").GetInt32(), Is.EqualTo(-1));
        Assert.That(items[1].GetProperty("error").GetString(), Is.EqualTo("corrupt"));
        Assert.That(json, Does.Contain("\n    {\n        \"filename\": \"a.png\""));
    }

    [Test]
    public void ReadsBackWhatItWrites()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "sub", "r.json");
        PredictionJson.Write(path, Predictions);

        IReadOnlyList<PredictionRecord> records = PredictionJson.Read(path);

        Assert.That(records, Is.EqualTo(new[] { new PredictionRecord("a.png", 3, 0.75), new PredictionRecord("b.png", -1, 0, "corrupt") }));
    }

    [Test]
    public void MalformedEntryIsReportedWithItsIndex()
    {
        using var dir = new TempDir();
        string path = dir.File("r.json");
        File.WriteAllText(path, """[{"filename": "a", "prediction": 1, "score": 0.5}, {"filename": "b"}]""");

        Assert.That(() => PredictionJson.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("entry 1"));
    }
}
