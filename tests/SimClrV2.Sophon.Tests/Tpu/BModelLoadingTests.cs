using System.Buffers.Binary;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Loading bmodels the way libsophon v0.5.1 behaves: a damaged buffer ends the process inside the
/// vendor runtime (exit -1), so the binding checks the container first and loads bytes through a
/// private copy by path (where damage is the runtime's false); bmodel files are opened read-write,
/// so a read-only file is loaded from a private copy.
/// </summary>
public class BModelLoadingTests : EmulatorTestBase
{
    private const string Probe = "simclrv2-probe.dll";

    private static byte[] ValidBModel(TempDir dir)
    {
        string path = Emulator.WriteModel(dir.File("valid.bmodel"), "simclrv2", "input FLOAT32 1", "logits FLOAT32 1", "1x3x32x32 1x10");
        return File.ReadAllBytes(path);
    }

    [Test]
    public void ABrokenBufferEndsTheProcessInTheVendorRuntimeButIsAnExceptionThroughTheBinding()
    {
        using var dir = new TempDir();
        string truncated = dir.File("truncated.bmodel");
        File.WriteAllBytes(truncated, ValidBModel(dir)[..100]);

        ChildProcess.Result raw = ChildProcess.Run(Probe, TimeSpan.FromMinutes(1), "raw-load-data", truncated, Emulator.Folder);
        ChildProcess.Result bound = ChildProcess.Run(Probe, TimeSpan.FromMinutes(1), "load-data", truncated, Emulator.Folder);

        Assert.That(raw.ExitCode, Is.EqualTo(255), "the runtime ended the process with exit(-1), as libsophon v0.5.1 does");
        Assert.That(raw.Out, Does.Contain("Bmodel data is broken"));
        Assert.That(raw.Out, Does.Not.Contain("returned"), "bmrt_load_bmodel_data never returned");
        Assert.That(bound.ExitCode, Is.Zero, bound.Err);
        Assert.That(bound.Out, Does.Contain("refused SophonModelException").And.Contain("truncated or damaged"));
    }

    [Test]
    public void TwoHundredDamagedBModelsLoadedFromBytesNeverEndTheProcess()
    {
        using var dir = new TempDir();
        string valid = Emulator.WriteModel(dir.File("valid.bmodel"), "simclrv2", "input FLOAT32 1", "logits FLOAT32 1", "1x3x32x32 1x10", "4x3x32x32 4x10");

        ChildProcess.Result sweep = ChildProcess.Run(Probe, TimeSpan.FromMinutes(4), "damage-sweep", valid, Emulator.Folder, "200");

        string[] lines = sweep.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries); // the runtime's own stdout lines come between
        string last = lines.LastOrDefault(l => l.StartsWith("damage ", StringComparison.Ordinal)) ?? "(no damage tried)";
        Assert.That(sweep.ExitCode, Is.Zero, $"the process ended at: {last}\n{sweep.Err}");
        Assert.That(lines, Has.One.StartsWith("survived 200"), last);
        last = lines.Single(l => l.StartsWith("survived", StringComparison.Ordinal));
        Assert.That(sweep.Out, Does.Contain("refused SophonModelException").And.Contain("refused SophonException"), "damage the managed checks catch, and damage only the runtime sees (its false)");
        TestContext.Progress.WriteLine($"bmodel damage sweep through ClassifierModel.FromBytes: {last}");
    }

    private static IEnumerable<TestCaseData> Damaged()
    {
        yield return new TestCaseData(new Func<byte[], byte[]>(b => b[..10]), "a 64-byte header").SetName("{m}(shorter than the header)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => b[..64]), "a 64-byte header").SetName("{m}(only the header)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => b[..^1]), "truncated or damaged").SetName("{m}(one byte short)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 0, 0x04034B50)), "not a bmodel").SetName("{m}(a zip file's magic)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 4, 16)), "truncated or damaged").SetName("{m}(header size below 64)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 8, 1 << 30)), "truncated or damaged").SetName("{m}(flatbuffer larger than the file)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 12, 1 << 30)), "truncated or damaged").SetName("{m}(binary larger than the file)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 64, 0x7FFFFFF0)), "root offset").SetName("{m}(root offset out of bounds)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 64, 2)), "root offset").SetName("{m}(root offset misaligned)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 64 + 20, -4000)), "the model table").SetName("{m}(vtable out of bounds)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 64 + 24, 0x10000)), "the model's type").SetName("{m}(string offset out of bounds)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set16(b, 64 + 4 + 10, 0)), "the model's chip (missing)").SetName("{m}(required chip missing)");
        yield return new TestCaseData(new Func<byte[], byte[]>(DropNul), "the model's type").SetName("{m}(string without its NUL)");
        yield return new TestCaseData(new Func<byte[], byte[]>(b => Set32(b, 64 + 52, 0)), "the net count").SetName("{m}(no networks)");
    }

    [TestCaseSource(nameof(Damaged))]
    public void DamagedBModelsAreRefusedBeforeTheRuntimeSeesThem(Func<byte[], byte[]> damage, string reason)
    {
        using var dir = new TempDir();
        byte[] bytes = damage(ValidBModel(dir));
        string file = dir.File("damaged.bmodel");
        File.WriteAllBytes(file, bytes);

        // In this process: had the check let it through, the emulated runtime would have ended the test run.
        Assert.That(() => SophonModel.Load(bytes), Throws.TypeOf<SophonModelException>().With.Message.Contains(reason));
        Assert.That(() => SophonModel.Load(file), Throws.TypeOf<SophonModelException>().With.Message.Contains(reason).And.Message.Contains(file));
    }

    [Test]
    public void SeededMutationsOfTheHeaderAndModelDescriptionNeverEndTheProcess()
    {
        using var dir = new TempDir();
        byte[] valid = ValidBModel(dir);
        int described = 64 + BinaryPrimitives.ReadInt32LittleEndian(valid.AsSpan(8));
        var random = new Random(2026);
        int loaded = 0, refused = 0;
        for (int i = 0; i < 300; i++)
        {
            byte[] mutated = (byte[])valid.Clone();
            for (int k = 0; k < 1 + random.Next(3); k++)
            {
                mutated[random.Next(described)] = (byte)random.Next(256);
            }

            try
            {
                using SophonModel model = SophonModel.Load(mutated);
                loaded++;
            }
            catch (SophonException)
            {
                refused++;
            }
        }

        Assert.That(loaded + refused, Is.EqualTo(300));
        Assert.That(refused, Is.GreaterThan(100), "most mutations of the header and the flatbuffer's top level are caught");
        TestContext.Progress.WriteLine($"bmodel mutations: 300, loaded {loaded}, refused {refused}");
    }

    [Test]
    public void AReadOnlyBModelLoadsFromMemoryWhereTheVendorsReadWriteOpenFails()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("src"));
        Directory.CreateDirectory(dir.File("mnt"));
        Emulator.WriteModel(dir.File("src/model.bmodel"), "simclrv2", "input INT8 40", "logits FLOAT32 1", "1x3x32x32 1x10", "4x3x32x32 4x10");
        string readOnly = dir.File("mnt/model.bmodel");
        string[] probe = ChildProcess.CommandLine(Probe, "load-file", readOnly, Emulator.Folder);
        ChildProcess.Result result;
        if (Environment.UserName == "root")
        {
            // root writes through permission bits: a read-only bind mount in a private mount namespace is the real case.
            result = ChildProcess.RunProgram("unshare", ["-m", "sh", "-c", "mount --bind -o ro \"$0\" \"$1\" && shift 1 && exec \"$@\"", dir.File("src"), dir.File("mnt"), .. probe], TimeSpan.FromMinutes(1));
            if (result.ExitCode != 0 && result.Out.Length == 0)
            {
                Assert.Ignore($"No private read-only mount possible here (unshare -m: {result.Err.Trim()}); the read-only case needs it when running as root.");
            }
        }
        else if (OperatingSystem.IsLinux())
        {
            File.Copy(dir.File("src/model.bmodel"), readOnly);
            File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            result = ChildProcess.RunProgram(probe[0], probe[1..], TimeSpan.FromMinutes(1));
        }
        else
        {
            Assert.Ignore("The emulator and this test run on Linux.");
            return;
        }

        Assert.That(result.ExitCode, Is.Zero, result.Err);
        Assert.That(result.Out, Does.Contain("bmrt_load_bmodel returned false").And.Contain("open failed"), "the emulated runtime opens bmodels read-write, like libsophon v0.5.1");
        Assert.That(result.Out, Does.Contain("loaded simclrv2 with 2 stage(s)"));
    }

    [Test]
    public void AWritableBModelLoadsThroughItsPathAndNamesItsChipWhenTheRuntimeRefusesIt()
    {
        using var dir = new TempDir();
        string path = Emulator.WriteModel(dir.File("m.bmodel"), "simclrv2", "input FLOAT32 1", "logits FLOAT32 1", "1x3x32x32 1x10");
        using (SophonModel model = SophonModel.Load(path))
        {
            Assert.That(model.Source, Is.EqualTo(path));
        }

        // A sound container whose content the runtime refuses (here: a description the emulator cannot parse).
        File.WriteAllBytes(path, EmulatedModels.Pack("# sophon-emulator bmodel 1\nnet=simclrv2\n", chip: "BM1688"));
        var ex = Assert.Throws<SophonException>(() => SophonModel.Load(path));
        Assert.That(ex!.Status, Is.EqualTo(SophonStatus.RuntimeFailed));
        Assert.That(ex.Message, Does.StartWith("bmrt_load_bmodel failed").And.Contain("compiled for BM1688").And.Contain(path));
    }

    [Test]
    public void FoldersAndDevicesAreNotOpenedAsBModels()
    {
        using var dir = new TempDir();
        Assert.That(() => SophonModel.Load(dir.Path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("is a folder"));
        Assert.That(() => SophonModel.Load("/dev/zero"), Throws.TypeOf<InvalidDataException>().With.Message.Contains("character device"));
        Assert.That(() => SophonModel.Load(dir.File("none.bmodel")), Throws.TypeOf<FileNotFoundException>());
    }

    private static byte[] Set32(byte[] b, int at, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), value);
        return b;
    }

    private static byte[] Set16(byte[] b, int at, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), value);
        return b;
    }

    /// <summary>Replaces the NUL after the first string (the model's type, "B") with a letter.</summary>
    private static byte[] DropNul(byte[] b)
    {
        int fb = 64;
        int field = fb + 24;
        int at = field + BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(field));
        int length = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(at));
        b[at + 4 + length] = (byte)'x';
        b[at + 4 + length + 1] = (byte)'x';
        b[at + 4 + length + 2] = (byte)'x';
        b[at + 4 + length + 3] = (byte)'x';
        return b;
    }
}
