using System.Diagnostics;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Decode;

/// <summary>Only regular files are read; link cycles end; a bad name or a bad label costs one entry.</summary>
public class InputFilesTests
{
    private static void Shell(string command)
    {
        using Process process = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } })!;
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, command);
    }

    private static void RequireLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("FIFOs, devices and raw file names are tested on Linux.");
        }
    }

    [Test]
    public void AFifoInAFolderIsAnErrorEntryAndNothingBlocks()
    {
        RequireLinux();
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        Shell($"mkfifo '{dir.File("b.png")}'");

        // In a child process (the CLI), so a regression hangs that process, not the test run.
        ChildProcess.Result result = ChildProcess.Run("simclrv2.dll", TimeSpan.FromSeconds(60), "classify", "--input", dir.Path, "-o", Path.Combine(dir.Path, "r.json"));

        Assert.That(result.TimedOut, Is.False, "nothing blocked on the FIFO");
        Assert.That(result.ExitCode, Is.Zero, result.Err);
        Assert.That(result.Out, Does.Contain("classified 2 images (1 failed)").And.Contain("a named pipe (FIFO), not a regular file"));
    }

    [Test]
    public void AFifoOrADeviceAsTheInputIsRefusedAtOnce()
    {
        RequireLinux();
        using var dir = new TempDir();
        Shell($"mkfifo '{dir.File("pipe")}' && ln -s /dev/zero '{dir.File("zero.bin")}'");

        Assert.That(() => ImageInputs.FromPath(dir.File("pipe")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("named pipe (FIFO)"));
        Assert.That(() => ImageInputs.FromPath(dir.File("zero.bin")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("character device"));
        Assert.That(() => CifarDataset.ReadBinary(dir.File("zero.bin")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("not a regular file"));
    }

    [Test]
    public void LinkCyclesEndAndEveryRealFolderIsReadOnce()
    {
        RequireLinux();
        using var dir = new TempDir();
        string root = Path.Combine(dir.Path, "root");
        TestData.WritePng(Path.Combine(root, "cat"), "1.png", 4, 4, 1);
        TestData.WritePng(Path.Combine(dir.Path, "outside"), "2.png", 4, 4, 2);
        Shell($"cd '{root}' && ln -s .. cat/up && ln -s . self && ln -s ../outside linked && ln -s ../outside linked-again");

        var clock = Stopwatch.StartNew();
        IReadOnlyList<ImageInput> inputs = ImageInputs.FromFolder(root, TestData.Cifar10Labels);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(inputs.Select(i => Path.GetFileName(i.Name)), Is.EquivalentTo(new[] { "1.png", "2.png" }), "the linked folder is read once; the cycles add nothing");
        Assert.That(inputs.Single(i => i.Name == "cat/1.png").LabelIndex, Is.EqualTo(3));
    }

    [Test]
    public void AFileNameThatIsNotUtf8GetsAnErrorThatSaysSo()
    {
        RequireLinux();
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "ok.png", 4, 4, 1);
        Shell($"cp '{dir.File("ok.png")}' \"{dir.Path}/$(printf 'caf\\351.png')\"");

        IReadOnlyList<ImageInput> inputs = ImageInputs.FromFolder(dir.Path);
        ImageInput bad = inputs.Single(i => i.Name != "ok.png");

        Assert.That(inputs, Has.Count.EqualTo(2));
        Assert.That(() => bad.Decode(), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("not valid UTF-8").And.Message.Contains("rename"));
    }

    [Test]
    public void AFileNamedAsAnImageIsAnImageWhateverItsFirstBytes()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("looks-like-pickle.png"), [0x80, 0x02, 0x7D, 0x71]);

        Assert.That(ImageInputs.Detect(dir.File("looks-like-pickle.png")), Is.EqualTo(InputKind.ImageFile));
        Assert.That(() => ImageInputs.FromPath(dir.File("looks-like-pickle.png"))[0].Decode(), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void ABadLabelByteInABinaryFileCostsOnlyThatLabel()
    {
        using var dir = new TempDir();
        var bytes = new byte[2 * 3073];
        bytes[0] = 200;
        bytes[3073] = 4;
        File.WriteAllBytes(dir.File("t.bin"), bytes);

        CifarDataset data = CifarDataset.ReadBinary(dir.File("t.bin"));

        Assert.That(data.Labels, Is.EqualTo(new[] { CifarDataset.UnknownLabel, 4 }));
    }

    [Test]
    public void APickleOnAStreamDeclaringAHugeLengthFailsWithoutAllocatingIt()
    {
        // BINBYTES declaring almost 2 GiB (0x7FFFFF00 bytes), then the stream ends.
        byte[] pickle = [0x80, 0x02, (byte)'B', 0x00, 0xFF, 0xFF, 0x7F, 1, 2, 3];
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.That(() => CifarDataset.ReadPickle(new NonSeekable(pickle), "s"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("ends inside a value"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(8L << 20));
    }

    [Test]
    public void APickleOfMillionsOfEmptyContainersIsRefusedEarly()
    {
        var pickle = new byte[20 << 20];
        Array.Fill(pickle, (byte)'}');
        pickle[0] = 0x80;
        pickle[1] = 0x02;
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.That(() => CifarDataset.ReadPickle(new MemoryStream(pickle), "dicts"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("dicts, lists and tuples"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(256L << 20), "far from the 2.6 GB it used to take");
    }

    [Test]
    public void APickleOfMillionsOfNumbersIsRefusedEarly()
    {
        var pickle = new byte[2 + (2 * (RestrictedUnpicklerLimits.MaxObjects + 1))];
        pickle[0] = 0x80;
        pickle[1] = 0x02;
        for (int i = 2; i < pickle.Length; i += 2)
        {
            pickle[i] = (byte)'K';
        }

        Assert.That(() => CifarDataset.ReadPickle(new MemoryStream(pickle), "ints"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("objects"));
    }

    private static class RestrictedUnpicklerLimits
    {
        public const int MaxObjects = RestrictedUnpickler.MaxObjects;
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
