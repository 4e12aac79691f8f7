using System.Text;
using System.Text.Json;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Results;

public class PredictionJsonTests
{
    private static readonly Prediction[] Predictions =
    [
        new() { Source = "a.png", ClassIndex = 3, Label = "cat", Score = 0.75f, Timings = new StageTimings(1.5, 0.25, 2, 0.125) },
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
        Assert.That(items[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "filename", "prediction", "score", "timings_ms" }), "the reference's three fields first");
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

        Assert.That(records.Select(r => (r.Filename, r.Prediction, r.Score, r.Error, r.Timings)), Is.EqualTo(new[]
        {
            ("a.png", 3, 0.75, (string?)null, (StageTimings?)new StageTimings(1.5, 0.25, 2, 0.125)),
            ("b.png", -1, 0.0, "corrupt", (StageTimings?)default(StageTimings)),
        }));
    }

    [Test]
    public void TheFileIsByteForByteWhatPythonsJsonDumpWritesForTheSameData()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            Assert.Ignore("Needs /usr/bin/python3 to compare with json.dump.");
        }

        Prediction[] tricky =
        [
            new() { Source = "a+b'&<>.png", ClassIndex = 1, Score = 1f },
            new() { Source = "caf\u00e9 \u732b\ud83d\udc31.jpg", ClassIndex = 0, Score = 0.5f, Timings = new StageTimings(0.00001, 1e-7, 12.5, 3) },
            new() { Source = "tab\tquote\"back\\slash\u007f\u0001", ClassIndex = 9, Score = 0.6172000169754028f },
            new() { Source = "gone.png", Error = "'gone.png' does not exist; <check> & retry" },
        ];
        using var dir = new TempDir();
        string ours = dir.File("ours.json");
        PredictionJson.Write(ours, tricky);

        ChildProcess.Result python = ChildProcess.RunProgram(
            "/usr/bin/python3",
            ["-c", "import json, sys; data = json.load(open(sys.argv[1])); json.dump(data, open(sys.argv[2], 'w'), indent=4)", ours, dir.File("python.json")],
            TimeSpan.FromSeconds(30));

        Assert.That(python.ExitCode, Is.Zero, python.Err);
        Assert.That(File.ReadAllText(ours), Is.EqualTo(File.ReadAllText(dir.File("python.json"))));
        Assert.That(File.ReadAllText(ours), Does.Contain("\"a+b'&<>.png\"").And.Contain("\"score\": 1.0,").And.Contain("1e-05"));
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
