using System.Diagnostics;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.Decode;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Reliability;

/// <summary>
/// The hostile-input families, generated at test time from a seed and run through the library:
/// truncated and byte-mutated images in every format, decompression-bomb headers, mutated CIFAR
/// pickles and binaries. Every case must end as a prediction or an error entry (images) or an
/// <see cref="InvalidDataException"/> (CIFAR files): nothing lost, nothing crashed, nothing hung.
/// Prints its figures. <c>SIMCLRV2_SOAK_SECONDS=N</c> runs the seeded mutator for N seconds more
/// (category Soak; see the README).
/// </summary>
public class ReliabilitySuite
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    [Test]
    public void HostileInputsAreHandled()
    {
        Figures figures = Run(seed: 20261126, imageMutants: 12, pickleMutants: 300);
        TestContext.Progress.WriteLine(figures);
        Assert.That((figures.Lost, figures.Crashed, figures.Hung), Is.EqualTo((0, 0, 0)), figures.ToString());
        Assert.That(figures.Handled, Is.EqualTo(figures.Cases));
    }

    /// <summary>
    /// The command line's edges, each in its own <c>simclrv2</c> process (a crash there cannot hide
    /// in the test host): every option of every command given a value it does not take, the
    /// reported cases (overflow, '1e3', a bad device list), a device list on classify, an output
    /// that is a FIFO and two inputs that would share a name. Each must end with exit 0, 1 or 2 and
    /// at most one error line, never a stack or a hang.
    /// </summary>
    [Test]
    public void CommandLineEdgesAreHandled()
    {
        using var dir = new TempDir();
        CliWalk.Prepare(dir);
        var cases = new List<string[]>();
        foreach ((string command, System.CommandLine.Option option) in CliWalk.Options().Where(o => o.Option.ValueType != typeof(bool)))
        {
            string value = option.ValueType == typeof(string) || option.ValueType == typeof(string[]) ? string.Empty : "abc";
            cases.Add([.. CliWalk.BaseArgs(command, dir, option.Name), option.Name, value]);
        }

        string image = Path.Combine(dir.Path, "in", "cat", "a.png");
        TestData.WritePng(Path.Combine(dir.Path, "in2", "cat"), "a.png", 8, 8, 2);
        cases.Add(["classify", "-i", image, "--batch", "99999999999999"]);
        cases.Add(["classify", "-i", image, "--top-k", "1e3"]);
        cases.Add(["classify", "-i", image, "--dev-id", "x"]);
        cases.Add(["classify", "-i", image, "--dev-id", "0,1", "-o", dir.File("devices.json")]);
        cases.Add(["classify", "-i", dir.File("in"), "-i", dir.File("in2"), "-o", dir.File("twice.json")]);
        cases.Add(["classify", "-i", image, "--output", "-"]);
        cases.Add(["classify", "-i", dir.Path, "--verbose", "-o", dir.File("all.json")]); // a .json among the images: skipped, counted, listed
        cases.Add(["eval", "-r", dir.File("r.json"), "-l", dir.File("in"), "--format", "json"]); // classes with no images
        cases.Add(["report", dir.File("r.json"), dir.File("r.json"), "-l", dir.File("in"), "-o", dir.File("r.json")]); // over its own input
        if (OperatingSystem.IsLinux())
        {
            using Process mkfifo = Process.Start("mkfifo", dir.File("fifo"));
            mkfifo.WaitForExit();
            File.CreateSymbolicLink(dir.File("null-link"), "/dev/null");
            cases.Add(["classify", "-i", image, "--output", dir.File("fifo")]);
            cases.Add(["classify", "-i", image, "--output", dir.File("null-link")]);
            cases.Add(["bench", "-i", dir.File("in"), "--count", "1", "--output-dir", dir.File("fifo")]);
        }

        int handled = 0, crashed = 0, hung = 0;
        var failures = new List<string>();
        foreach (string[] args in cases)
        {
            ChildProcess.Result result = ChildProcess.Run("simclrv2.dll", HangLimit, args);
            int errorLines = result.Err.Split('\n').Count(l => l.StartsWith("error:", StringComparison.Ordinal));
            if (result.TimedOut)
            {
                hung++;
            }
            else if (result.ExitCode is 0 or 1 or 2 && errorLines <= 1 && !result.Err.Contains("   at ", StringComparison.Ordinal) && !result.Err.Contains("Unhandled", StringComparison.Ordinal))
            {
                handled++;
                continue;
            }
            else
            {
                crashed++;
            }

            failures.Add($"simclrv2 {string.Join(' ', args)} -> {result.ExitCode}: {result.Err}");
        }

        TestContext.Progress.WriteLine($"reliability: command lines {cases.Count} (each in its own process), handled {handled}, crashed {crashed}, hung {hung}");
        Assert.That((crashed, hung), Is.EqualTo((0, 0)), string.Join("\n", failures));
        Assert.That(handled, Is.EqualTo(cases.Count));
    }

    [Test]
    [Category("Soak")]
    public void Soak()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("SIMCLRV2_SOAK_SECONDS"), out int seconds) || seconds <= 0)
        {
            Assert.Ignore("The soak run is long; set SIMCLRV2_SOAK_SECONDS=N to run the seeded mutator for N seconds.");
        }

        var clock = Stopwatch.StartNew();
        var total = new Figures();
        for (int seed = 1; clock.Elapsed < TimeSpan.FromSeconds(seconds); seed++)
        {
            Figures round = Run(seed, imageMutants: 40, pickleMutants: 2000);
            total = total.Add(round);
            Assert.That((round.Lost, round.Crashed, round.Hung), Is.EqualTo((0, 0, 0)), $"seed {seed}: {round}");
        }

        TestContext.Progress.WriteLine(total);
    }

    private static Figures Run(int seed, int imageMutants, int pickleMutants)
    {
        var random = new Random(seed);
        var figures = new Figures();

        // Images: every format whole, truncated and mutated, plus headers claiming huge sizes.
        var inputs = new List<ImageInput>();
        foreach (TestCaseData data in EncodedImages.Formats())
        {
            string name = (string)data.Arguments[0]!;
            var encoder = (IImageEncoder)data.Arguments[1]!;
            byte[] whole = Encode(encoder, random.Next(1, 96), random.Next(1, 96), random);
            inputs.Add(ImageInput.FromStream(new MemoryStream(whole), $"{name}-whole"));
            for (int k = 0; k < 4; k++)
            {
                inputs.Add(ImageInput.FromStream(new MemoryStream(whole[..random.Next(0, whole.Length)]), $"{name}-cut{k}"));
            }

            for (int k = 0; k < imageMutants; k++)
            {
                inputs.Add(ImageInput.FromStream(new MemoryStream(Mutate(whole, random)), $"{name}-mutant{k}"));
            }
        }

        foreach ((int w, int h) in new[] { (20000, 20000), (65535, 65535), (1, int.MaxValue / 2) })
        {
            inputs.Add(ImageInput.FromStream(new MemoryStream(EncodedImages.PngClaiming(w, h)), $"bomb-{w}x{h}"));
        }

        using (ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 8 }))
        {
            figures.Cases += inputs.Count;
            Task<IReadOnlyList<Prediction>> run = Task.Run(() => classifier.Classify(inputs));
            try
            {
                if (!run.Wait(HangLimit))
                {
                    figures.Hung += inputs.Count;
                }
                else
                {
                    IReadOnlyList<Prediction> predictions = run.Result;
                    bool inOrder = predictions.Select(p => p.Source).SequenceEqual(inputs.Select(i => i.Name));
                    figures.Lost += inOrder ? 0 : Math.Max(1, Math.Abs(inputs.Count - predictions.Count));
                    figures.Handled += inOrder ? predictions.Count : 0;
                    figures.Errors += predictions.Count(p => !p.Succeeded);
                    int wrongWhole = predictions.Count(p => p.Source.EndsWith("-whole", StringComparison.Ordinal) && !p.Succeeded);
                    int predictedBombs = predictions.Count(p => p.Source.StartsWith("bomb-", StringComparison.Ordinal) && p.Succeeded);
                    figures.Lost += wrongWhole + predictedBombs; // a whole image must succeed; a bomb must not
                }
            }
            catch (AggregateException)
            {
                figures.Crashed += inputs.Count;
            }
        }

        // CIFAR pickles and binaries: mutated and cut; the reader answers with data or InvalidDataException.
        byte[] pickle = PickleWriter.Cifar(TestData.RandomBytes(3 * 3072, seed), 3, 3072, [1, 2, 3], ["a", "b", "c"]);
        byte[] binary = TestData.RandomBytes(2 * 3073, seed);
        for (int k = 0; k < pickleMutants; k++)
        {
            byte[] mutant = k % 3 == 0 ? pickle[..random.Next(0, pickle.Length)] : Mutate(pickle, random);
            Judge(figures, () => CifarDataset.ReadPickle(new MemoryStream(mutant), $"mutant{k}"));
        }

        using (var dir = new TempDir())
        {
            for (int k = 0; k < 20; k++)
            {
                string path = dir.File($"m{k}.bin");
                File.WriteAllBytes(path, k % 2 == 0 ? binary[..random.Next(0, binary.Length)] : Mutate(binary, random));
                Judge(figures, () => CifarDataset.ReadBinary(path));
            }
        }

        figures.PeakWorkingSetMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
        return figures;
    }

    private static void Judge(Figures figures, Func<CifarDataset> read)
    {
        figures.Cases++;
        try
        {
            _ = read();
            figures.Handled++;
        }
        catch (InvalidDataException)
        {
            figures.Handled++;
            figures.Errors++;
        }
        catch (Exception)
        {
            figures.Crashed++;
        }
    }

    private static byte[] Encode(IImageEncoder encoder, int width, int height, Random random)
    {
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)(x + y), (byte)(x * 3));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>A few random byte flips, insertions of 0xFF/0x00 runs or a duplicated slice.</summary>
    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.InsertRange(at, Enumerable.Repeat(random.Next(2) == 0 ? (byte)0xFF : (byte)0x00, random.Next(1, 9)));
                    break;
                default:
                    int length = Math.Min(random.Next(1, 64), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    private sealed record Figures
    {
        public int Cases { get; set; }

        public int Handled { get; set; }

        public int Errors { get; set; }

        public int Lost { get; set; }

        public int Crashed { get; set; }

        public int Hung { get; set; }

        public long PeakWorkingSetMb { get; set; }

        public Figures Add(Figures other) => new()
        {
            Cases = Cases + other.Cases,
            Handled = Handled + other.Handled,
            Errors = Errors + other.Errors,
            Lost = Lost + other.Lost,
            Crashed = Crashed + other.Crashed,
            Hung = Hung + other.Hung,
            PeakWorkingSetMb = Math.Max(PeakWorkingSetMb, other.PeakWorkingSetMb),
        };

        public override string ToString() =>
            $"reliability: cases {Cases}, handled {Handled} (errors {Errors}), lost {Lost}, crashed {Crashed}, hung {Hung}, peak working set {PeakWorkingSetMb} MB";
    }
}
