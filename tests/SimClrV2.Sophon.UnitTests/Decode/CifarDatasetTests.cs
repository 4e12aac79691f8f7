using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Decode;

public class CifarDatasetTests
{
    private static CifarDataset Read(byte[] pickle) => CifarDataset.ReadPickle(new MemoryStream(pickle), "test.pickle");

    private static byte[] ValidPickle(int count = 3, int seed = 1) =>
        PickleWriter.Cifar(
            TestData.RandomBytes(count * 3072, seed),
            count,
            3072,
            Enumerable.Range(0, count).Select(i => i % 10).ToArray(),
            Enumerable.Range(0, count).Select(i => $"img_{i}.png").ToArray());

    [Test]
    public void ReadsPixelsLabelsAndNamesFromAPickle()
    {
        byte[] pixels = TestData.RandomBytes(3 * 3072, 7);
        byte[] pickle = PickleWriter.Cifar(pixels, 3, 3072, [4, 0, 9], ["a.png", "b.png", "c.png"]);

        CifarDataset data = Read(pickle);

        Assert.That(data.Count, Is.EqualTo(3));
        Assert.That(data.Labels, Is.EqualTo(new[] { 4, 0, 9 }));
        Assert.That(data.Names, Is.EqualTo(new[] { "a.png", "b.png", "c.png" }));
        Assert.That(data.GetPixels(1).ToArray(), Is.EqualTo(pixels.AsSpan(3072, 3072).ToArray()));
    }

    [Test]
    public void InputsCarryNamesLabelsAndPlanarPixels()
    {
        IReadOnlyList<ImageInput> inputs = Read(ValidPickle()).ToInputs();

        Assert.That(inputs.Select(i => i.Name), Is.EqualTo(new[] { "img_0.png", "img_1.png", "img_2.png" }));
        Assert.That(inputs.Select(i => i.LabelIndex), Is.EqualTo(new int?[] { 0, 1, 2 }));
        using DecodedImage image = inputs[0].Decode();
        Assert.That((image.Width, image.Height, image.Layout), Is.EqualTo((32, 32, PixelLayout.Planar)));
    }

    [Test]
    public void TruncatedPickleIsRefusedWithTheOffset()
    {
        byte[] pickle = ValidPickle();
        byte[] truncated = pickle[..(pickle.Length / 2)];

        var ex = Assert.Throws<InvalidDataException>(() => Read(truncated));
        Assert.That(ex!.Message, Does.Contain("test.pickle").And.Contain("truncated"));
    }

    [Test]
    public void UnknownOpcodeIsRefused()
    {
        byte[] pickle = [0x80, 2, (byte)'}', 0xff, (byte)'.'];

        var ex = Assert.Throws<InvalidDataException>(() => Read(pickle));
        Assert.That(ex!.Message, Does.Contain("opcode 0xff").And.Contain("at byte 3"));
    }

    [TestCase("os", "system")]
    [TestCase("builtins", "eval")]
    [TestCase("numpy", "load")]
    public void GlobalsOtherThanNumpyArraysAreRefusedBeforeAnythingRuns(string module, string name)
    {
        byte[] pickle = new PickleWriter().Byte(0x80).Byte(2).Global(module, name).ShortString("echo pwned").Byte(0x85).Op('R').Op('.').ToArray();

        var ex = Assert.Throws<InvalidDataException>(() => Read(pickle));
        Assert.That(ex!.Message, Does.Contain($"global '{module}.{name}' is not allowed"));
    }

    [Test]
    public void WrongArrayShapeIsRefused()
    {
        byte[] pickle = PickleWriter.Cifar(new byte[2 * 1000], 2, 1000, [0, 1], ["a", "b"]);

        var ex = Assert.Throws<InvalidDataException>(() => Read(pickle));
        Assert.That(ex!.Message, Does.Contain("shape (2, 1000)").And.Contain("(N, 3072)"));
    }

    [Test]
    public void ArrayWithTooFewBytesForItsShapeIsRefused()
    {
        byte[] pickle = PickleWriter.Cifar(new byte[3072], 2, 3072, [0, 1], ["a", "b"]);

        var ex = Assert.Throws<InvalidDataException>(() => Read(pickle));
        Assert.That(ex!.Message, Does.Contain("needs 6144 bytes but holds 3072"));
    }

    [Test]
    public void NonByteDtypeIsRefused()
    {
        byte[] pickle = PickleWriter.Cifar(new byte[3072 * 4], 1, 3072, [0], ["a"], dtype: "f4");

        var ex = Assert.Throws<InvalidDataException>(() => Read(pickle));
        Assert.That(ex!.Message, Does.Contain("dtype 'f4' is not supported"));
    }

    [Test]
    public void LabelOutOfRangeCostsOnlyThatLabel()
    {
        byte[] pickle = PickleWriter.Cifar(new byte[2 * 3072], 2, 3072, [12, 3], ["a", "b"]);

        CifarDataset data = Read(pickle);

        Assert.That(data.Labels, Is.EqualTo(new[] { CifarDataset.UnknownLabel, 3 }));
        Assert.That(data.ToInputs().Select(i => i.LabelIndex), Is.EqualTo(new int?[] { null, 3 }), "the image is still classified, with no known label");
    }

    [Test]
    public void LabelCountMustMatchImages()
    {
        byte[] pickle = PickleWriter.Cifar(new byte[2 * 3072], 2, 3072, [1], ["a", "b"]);

        Assert.That(() => Read(pickle), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'labels' holds 1 entries for 2 images"));
    }

    [Test]
    public void BinaryFormatRoundTrips()
    {
        using var dir = new TempDir();
        string path = dir.File("batch.bin");
        byte[] pixels = TestData.RandomBytes(2 * 3072, 3);
        File.WriteAllBytes(path, [7, .. pixels[..3072], 2, .. pixels[3072..]]);

        CifarDataset data = CifarDataset.ReadBinary(path);

        Assert.That(data.Labels, Is.EqualTo(new[] { 7, 2 }));
        Assert.That(data.Names, Is.EqualTo(new[] { "batch_00000", "batch_00001" }));
        Assert.That(data.GetPixels(1).ToArray(), Is.EqualTo(pixels[3072..]));
    }

    [Test]
    public void BinaryFileWithPartialRecordIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.bin");
        File.WriteAllBytes(path, new byte[3073 + 10]);

        Assert.That(() => CifarDataset.ReadBinary(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("not a whole number of 3073-byte records"));
    }

    [Test]
    public void MissingFileNamesWhatToPass()
    {
        Assert.That(() => CifarDataset.ReadPickle("/nonexistent/test_batch"), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("test_batch"));
    }

    [Test]
    [Category("Dataset")]
    public void RealTestBatchPickleAndBinaryHoldTheSameImages()
    {
        CifarDataset pickle = CifarDataset.ReadPickle(TestData.RequireShared("data", "cifar10", "test_batch"));
        CifarDataset binary = CifarDataset.ReadBinary(TestData.RequireShared("data", "cifar10", "test_batch.bin"));

        Assert.That(pickle.Count, Is.EqualTo(10_000));
        Assert.That(binary.Labels, Is.EqualTo(pickle.Labels));
        Assert.That(pickle.Labels.GroupBy(l => l).Select(g => g.Count()), Is.All.EqualTo(1000));
        foreach (int i in new[] { 0, 1234, 9999 })
        {
            Assert.That(binary.GetPixels(i).ToArray(), Is.EqualTo(pickle.GetPixels(i).ToArray()), $"image {i}");
        }

        Assert.That(pickle.Names[0], Does.EndWith(".png"));
    }
}
