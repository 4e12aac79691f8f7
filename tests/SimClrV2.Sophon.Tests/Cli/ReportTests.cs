using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>
/// The HTML report: self-contained, small for 10,000 inputs, with matrix cells, bars and thumbnails;
/// rendered by a real headless Chromium where one is installed (CI installs Debian's).
/// </summary>
public class ReportTests
{
    private const int Count = 10_000;
    private const string Chromium = "/usr/bin/chromium";

    private static readonly string[] ChromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"];

    /// <summary>A 10,000-image CIFAR-10 binary file (random pixels, labels i % 10) and two result files: "fp32" right on 90 %, "int8" differing from it on every 97th input.</summary>
    private static (string Labels, string First, string Second) TwoRuns(TempDir dir)
    {
        string labels = TestData.WriteCifarBinary(dir.File("test_batch.bin"), Count, seed: 5);
        IReadOnlyList<string> names = CifarDataset.ReadBinary(labels).Names;
        Prediction Entry(int i, int cls) => new() { Source = names[i], ClassIndex = cls, Label = TestData.Cifar10Labels[cls], Score = 0.5f + (i % 50 / 100f), Timings = new StageTimings(0.01, 0.02, 0.6 + (i % 3 / 10.0), 0.003) };
        int Fp32(int i) => i % 10 == 9 ? (i + 3) % 10 : i % 10;
        string first = dir.File("simclrv2_fp32_4b.bmodel_test_batch.bin_cpu_sophon_result.json");
        string second = dir.File("simclrv2_int8_4b.bmodel_test_batch.bin_cpu_sophon_result.json");
        PredictionJson.Write(first, Enumerable.Range(0, Count).Select(i => Entry(i, Fp32(i))));
        PredictionJson.Write(second, Enumerable.Range(0, Count).Select(i => Entry(i, i % 97 == 0 ? (Fp32(i) + 1) % 10 : Fp32(i))));
        return (labels, first, second);
    }

    private static int Occurrences(string text, string pattern) => Regex.Matches(text, pattern).Count;

    [Test]
    public void AReportOfTenThousandInputsIsSelfContainedSmallAndComplete()
    {
        using var dir = new TempDir();
        (string labels, string first, string second) = TwoRuns(dir);
        string report = dir.File("report.html");

        (int code, string stdout, string stderr) = CliRunner.Run("report", first, second, "--labels", labels, "-o", report);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("simclrv2_fp32_4b.bmodel_test_batch.bin_cpu_sophon_result.json: accuracy 90.000% (9000/10000)"));
        string html = File.ReadAllText(report);
        Assert.That(new FileInfo(report).Length, Is.LessThan(5 * 1024 * 1024));
        Assert.That(Occurrences(html, "<td class=\"cell\""), Is.EqualTo(2 * 100), "a 10x10 matrix per result file");
        Assert.That(Occurrences(html, "<rect class=\"bar\""), Is.EqualTo(2 * (10 + 4)), "per-class and per-stage bars for each file");
        Assert.That(Occurrences(html, "<img class=\"thumb\" alt=\"[^\"]+\" src=\"data:image/png;base64,"), Is.EqualTo(104), "every disagreement (104) has a thumbnail");
        Assert.That(html, Does.Contain("98.96%"), "agreement: 10,000 - 104 of 10,000");
        Assert.That(html, Does.Not.Contain("<script").And.Not.Match("(src|href)=\"(https?:)?//"), "nothing runs, nothing is fetched");
    }

    [Test]
    public void ImagesInAClassFolderGetThumbnailsToo()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("photos/cat"));
        Directory.CreateDirectory(dir.File("photos/horse"));
        File.Copy(Path.Combine(TestData.SampleImages, "chelsea.png"), dir.File("photos/cat/chelsea.png"));
        File.Copy(Path.Combine(TestData.SampleImages, "horse.png"), dir.File("photos/horse/horse.png"));
        PredictionJson.Write(dir.File("a.json"), [new Prediction { Source = "chelsea.png", ClassIndex = 3, Score = 0.6f }, new Prediction { Source = "horse.png", ClassIndex = 7, Score = 0.9f }]);
        PredictionJson.Write(dir.File("b.json"), [new Prediction { Source = "chelsea.png", ClassIndex = 5, Score = 0.4f }, new Prediction { Source = "horse.png", ClassIndex = 7, Score = 0.8f }]);

        (int code, _, string stderr) = CliRunner.Run("report", dir.File("a.json"), dir.File("b.json"), "--labels", dir.File("photos"), "-o", dir.File("r.html"));

        Assert.That(code, Is.Zero, stderr);
        string html = File.ReadAllText(dir.File("r.html"));
        Assert.That(Occurrences(html, "<img class=\"thumb\" alt=\"chelsea.png\" src=\"data:image/png;base64,"), Is.EqualTo(1), "the one disagreement, with its photo");
        Assert.That(html, Does.Contain("50.00%"), "they agree on one of two");
    }

    [Test]
    public void EvalPrintsJsonAndCsvAndWritesTheReportOfOneFile()
    {
        using var dir = new TempDir();
        (string labels, string first, _) = TwoRuns(dir);

        (int jsonCode, string json, string jsonErr) = CliRunner.Run("eval", "-r", first, "-l", labels, "--format", "json", "--html", dir.File("one.html"));
        (_, string csv, _) = CliRunner.Run("eval", "-r", first, "-l", labels, "--format", "csv");

        Assert.That(jsonCode, Is.Zero, jsonErr);
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("accuracy").GetDouble(), Is.EqualTo(90.0));
        Assert.That(doc.RootElement.GetProperty("per_class")[9].GetProperty("accuracy").GetDouble(), Is.EqualTo(0.0));
        Assert.That(doc.RootElement.GetProperty("confusion")[9][2].GetInt32(), Is.EqualTo(1000), "class 9 is always predicted as (9 + 3) % 10");
        Assert.That(csv.Split('\n')[0], Is.EqualTo("class,correct,total,accuracy_percent"));
        Assert.That(csv, Does.Contain("\nairplane,1000,1000,100.000\n").And.Contain("\nall,9000,10000,90.000\n"));
        Assert.That(Occurrences(File.ReadAllText(dir.File("one.html")), "<td class=\"cell\""), Is.EqualTo(100));
    }

    [Test]
    [Category("Browser")]
    public void TheReportRendersInHeadlessChromium()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Ignore($"{Chromium} is not installed (Debian's chromium; .ci/run installs it).");
        }

        using var dir = new TempDir();
        (string labels, string first, string second) = TwoRuns(dir);
        string report = dir.File("report.html");
        Assert.That(CliRunner.Run("report", first, second, "--labels", labels, "-o", report).Code, Is.Zero);
        string url = new Uri(report).AbsoluteUri;
        string screenshot = dir.File("shot.png");

        var clock = Stopwatch.StartNew();
        ChildProcess.Result shot = ChildProcess.RunProgram(Chromium, [.. ChromiumFlags, $"--user-data-dir={dir.File("profile1")}", $"--screenshot={screenshot}", "--window-size=1280,2400", url], TimeSpan.FromSeconds(90));
        TimeSpan renderTime = clock.Elapsed;
        ChildProcess.Result dom = ChildProcess.RunProgram(Chromium, [.. ChromiumFlags, $"--user-data-dir={dir.File("profile2")}", "--dump-dom", url], TimeSpan.FromSeconds(90));

        Assert.That(shot.TimedOut || dom.TimedOut, Is.False, "Chromium finished");
        Assert.That(File.Exists(screenshot), Is.True, shot.Err);
        using (Image<Rgb24> image = Image.Load<Rgb24>(screenshot))
        {
            Assert.That((image.Width, image.Height), Is.EqualTo((1280, 2400)));
            (double inked, int colours) = Ink(image);
            Assert.That(inked, Is.GreaterThan(0.03), "not blank: text, bars and matrix cells drawn");
            Assert.That(colours, Is.GreaterThan(50), "shaded cells, bars and thumbnails give many colours");
        }

        Assert.That(Occurrences(dom.Out, "<td class=\"cell\""), Is.EqualTo(200), "the browser's DOM has both matrices");
        Assert.That(Occurrences(dom.Out, "<rect class=\"bar\""), Is.EqualTo(28));
        Assert.That(Occurrences(dom.Out, "<img class=\"thumb\""), Is.EqualTo(104));
        TestContext.Progress.WriteLine($"report: {new FileInfo(report).Length / 1024} KB, screenshot in {renderTime.TotalSeconds:F1} s");

        // bench's HTML page renders too: its three tables and one stacked bar per model.
        Assert.That(CliRunner.Run("bench", "-i", labels, "--count", "40", "--output-dir", dir.File("bench")).Code, Is.Zero);
        ChildProcess.Result bench = ChildProcess.RunProgram(Chromium, [.. ChromiumFlags, $"--user-data-dir={dir.File("profile3")}", "--dump-dom", new Uri(dir.File("bench/bench.html")).AbsoluteUri], TimeSpan.FromSeconds(90));
        Assert.That(Occurrences(bench.Out, "<table class=\"bench\""), Is.EqualTo(3));
        Assert.That(Occurrences(bench.Out, "<rect class=\"stage\""), Is.EqualTo(4));
    }

    /// <summary>The share of pixels that are not white, and how many distinct colours there are.</summary>
    private static (double Inked, int Colours) Ink(Image<Rgb24> image)
    {
        long inked = 0;
        var colours = new HashSet<Rgb24>();
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (Rgb24 p in rows.GetRowSpan(y))
                {
                    inked += p.R < 245 || p.G < 245 || p.B < 245 ? 1 : 0;
                    colours.Add(p);
                }
            }
        });
        return ((double)inked / (image.Width * image.Height), colours.Count);
    }
}
