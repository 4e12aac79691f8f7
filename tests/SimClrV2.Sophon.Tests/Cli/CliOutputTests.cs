using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using SimClrV2.Sophon.Decode.Files;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>
/// Every file the tool writes obeys one rule: what exists must be a regular file (never a device
/// node, FIFO, socket or folder, which are refused and left as they are) and must not be a file the
/// run reads; '--output -' writes the results to standard output.
/// </summary>
public class CliOutputTests
{
    private static void RequireLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("FIFOs, sockets and device links are made on Linux.");
        }
    }

    private static void MakeFifo(string path)
    {
        using Process process = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { path } })!;
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, "mkfifo");
    }

    /// <summary>A FIFO, a bound Unix socket and a link to /dev/null in <paramref name="dir"/> (the socket stays bound while the returned object lives).</summary>
    private static (string Fifo, string Socket, string DeviceLink, IDisposable Keep) SpecialFiles(TempDir dir)
    {
        string fifo = dir.File("fifo");
        MakeFifo(fifo);
        string socketPath = dir.File("sock");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        string link = dir.File("null-link");
        File.CreateSymbolicLink(link, "/dev/null");
        return (fifo, socketPath, link, socket);
    }

    private static void AssertUntouched(string fifo, string socket, string link)
    {
        Assert.That(FileStatus.Of(fifo).Kind, Is.EqualTo(FileKind.Fifo));
        Assert.That(FileStatus.Of(socket).Kind, Is.EqualTo(FileKind.Socket));
        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo("/dev/null"), "the link is not replaced by a file");
        Assert.That(FileStatus.Of("/dev/null").Kind, Is.EqualTo(FileKind.CharacterDevice));
    }

    [Test]
    public void ClassifyRefusesToWriteOverAFifoASocketOrADeviceNamingWhatItIs()
    {
        RequireLinux();
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        (string fifo, string socket, string link, IDisposable keep) = SpecialFiles(dir);
        using (keep)
        {
            (int c1, _, string e1) = CliRunner.Run("classify", "-i", image, "--output", fifo);
            (int c2, _, string e2) = CliRunner.Run("classify", "-i", image, "--output", socket);
            (int c3, _, string e3) = CliRunner.Run("classify", "-i", image, "--output", link);
            (int c4, _, string e4) = CliRunner.Run("classify", "-i", image, "--output", dir.Path);

            Assert.That((c1, c2, c3, c4), Is.EqualTo((2, 2, 2, 2)));
            Assert.That(e1, Does.StartWith($"error: --output '{fifo}' is a named pipe (FIFO), not a regular file"));
            Assert.That(e2, Does.StartWith($"error: --output '{socket}' is a socket, not a regular file"));
            Assert.That(e3, Does.StartWith($"error: --output '{link}' is a character device, not a regular file"));
            Assert.That(e4, Does.StartWith($"error: --output '{dir.Path}' is a folder, not a regular file"));
            AssertUntouched(fifo, socket, link);
        }
    }

    [Test]
    public void ReportsRefuseSpecialFilesAndTheFilesTheyRead()
    {
        RequireLinux();
        using var dir = new TempDir();
        CliWalk.Prepare(dir);
        string results = dir.File("r.json"), labels = dir.File("in");
        string before = File.ReadAllText(results);
        (string fifo, string socket, string link, IDisposable keep) = SpecialFiles(dir);
        using (keep)
        {
            (int c1, _, string e1) = CliRunner.Run("eval", "-r", results, "-l", labels, "--html", fifo);
            (int c2, _, string e2) = CliRunner.Run("eval", "-r", results, "-l", labels, "--html", results);
            (int c3, _, string e3) = CliRunner.Run("report", results, "-l", labels, "--output", socket);
            (int c4, _, string e4) = CliRunner.Run("report", results, "-l", labels, "--output", results);
            (int c5, _, string e5) = CliRunner.Run("bench", "-i", labels, "--count", "1", "--output-dir", link);
            (int c6, _, string e6) = CliRunner.Run("bench", "-i", labels, "--count", "1", "--output-dir", results);

            Assert.That((c1, c2, c3, c4, c5, c6), Is.EqualTo((2, 2, 2, 2, 2, 2)), e1 + e2 + e3 + e4 + e5 + e6);
            Assert.That(e1, Does.StartWith($"error: --html '{fifo}' is a named pipe (FIFO)"));
            Assert.That(e2, Does.StartWith($"error: --html '{results}' is '{results}', which this run reads"));
            Assert.That(e3, Does.StartWith($"error: --output '{socket}' is a socket"));
            Assert.That(e4, Does.StartWith($"error: --output '{results}' is '{results}', which this run reads"));
            Assert.That(e5, Does.StartWith($"error: --output-dir '{link}' is a character device, not a regular file"));
            Assert.That(e6, Does.StartWith($"error: --output-dir '{results}' is a regular file, not a folder"));
            AssertUntouched(fifo, socket, link);
            Assert.That(File.ReadAllText(results), Is.EqualTo(before), "the result file read is intact");
        }
    }

    [Test]
    public void BenchRefusesABenchFileThatIsAFifoAndEvalRefusesToOverwriteItsLabelFile()
    {
        RequireLinux();
        using var dir = new TempDir();
        CliWalk.Prepare(dir);
        Directory.CreateDirectory(dir.File("out"));
        MakeFifo(dir.File("out/bench.md"));
        string bin = TestData.WriteCifarBinary(dir.File("test_batch.bin"), 2, seed: 1);
        byte[] binBefore = File.ReadAllBytes(bin);
        File.WriteAllText(dir.File("r2.json"), """[{"filename": "test_batch_00000", "prediction": 3, "score": 0.5}]""");

        (int c1, _, string e1) = CliRunner.Run("bench", "-i", dir.File("in"), "--count", "1", "--output-dir", dir.File("out"));
        (int c2, _, string e2) = CliRunner.Run("eval", "-r", dir.File("r2.json"), "-l", bin, "--html", bin);

        Assert.That(c1, Is.EqualTo(2), e1);
        Assert.That(e1, Does.StartWith($"error: --output-dir '{dir.File("out/bench.md")}' is a named pipe (FIFO)"));
        Assert.That(FileStatus.Of(dir.File("out/bench.md")).Kind, Is.EqualTo(FileKind.Fifo));
        Assert.That(c2, Is.EqualTo(2), e2);
        Assert.That(e2, Does.Contain("which this run reads"));
        Assert.That(File.ReadAllBytes(bin), Is.EqualTo(binBefore));
    }

    [Test]
    public void OutputDashWritesTheResultsToStandardOutputAndTheSummaryToStandardError()
    {
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        TestData.WritePng(dir.Path, "b.png", 8, 8, 2);

        (int code, string stdout, string stderr) = CliRunner.RunIn(dir.Path, "classify", "-i", dir.Path, "--output", "-");

        Assert.That(code, Is.Zero, stderr);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.EnumerateArray().Select(e => e.GetProperty("filename").GetString()), Is.EqualTo(new[] { "a.png", "b.png" }));
        Assert.That(stderr, Does.Contain("classified 2 images (0 failed)").And.Contain("results: standard output").And.Contain("inference_time(ms)"));
        Assert.That(Directory.Exists(dir.File("results")), Is.False, "no result file is written");
        Assert.That(File.Exists(dir.File("-")), Is.False);
    }
}
