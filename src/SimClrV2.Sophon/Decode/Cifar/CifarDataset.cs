using System.Diagnostics;
using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Decode.Files;

namespace SimClrV2.Sophon.Decode.Cifar;

/// <summary>
/// A CIFAR-10 batch file in memory: N images of 32x32 RGB stored planar (1024 R, 1024 G, 1024 B
/// bytes each), their labels and names. Reads the "python version" pickle (<c>test_batch</c>, the
/// file the reference program takes) and the "binary version" (<c>test_batch.bin</c>).
/// </summary>
internal sealed class CifarDataset
{
    /// <summary>Image side in pixels.</summary>
    public const int ImageSize = 32;

    /// <summary>Bytes per image (3 x 32 x 32).</summary>
    public const int BytesPerImage = 3 * ImageSize * ImageSize;

    /// <summary>The number of CIFAR-10 classes.</summary>
    public const int ClassCount = 10;

    private readonly byte[] _pixels;
    private readonly int[] _labels;
    private readonly string[] _names;

    private CifarDataset(string source, byte[] pixels, int[] labels, string[] names, TimeSpan loadTime)
    {
        Source = source;
        _pixels = pixels;
        _labels = labels;
        _names = names;
        LoadTime = loadTime;
    }

    /// <summary>The path the data came from.</summary>
    public string Source { get; }

    /// <summary>Number of images.</summary>
    public int Count => _labels.Length;

    /// <summary>The label of an image whose label in the file is not 0..9: it is classified, with no known label.</summary>
    public const int UnknownLabel = -1;

    /// <summary>Class index (0..9) per image; <see cref="UnknownLabel"/> where the file's label is not a CIFAR-10 class.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>Name per image: the <c>filenames</c> entry of a pickle; <c>&lt;file&gt;_&lt;index&gt;</c> for the binary format, which has none.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>How long reading and parsing the file took (the reference reports it as decode time).</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>The planar RGB bytes of one image.</summary>
    /// <param name="index">0..Count-1.</param>
    /// <returns>3072 bytes.</returns>
    public ReadOnlyMemory<byte> GetPixels(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _pixels.AsMemory(index * BytesPerImage, BytesPerImage);
    }

    /// <summary>The images as classifier inputs, with names and labels.</summary>
    /// <returns>One input per image, in file order.</returns>
    public IReadOnlyList<ImageInput> ToInputs()
    {
        var inputs = new ImageInput[Count];
        TimeSpan shared = Count == 0 ? TimeSpan.Zero : LoadTime / Count;
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = new CifarImageInput(this, i, shared) { LabelIndex = _labels[i] == UnknownLabel ? null : _labels[i] };
        }

        return inputs;
    }

    /// <summary>Whether a file starts like a protocol-2 pickle (the CIFAR "python version").</summary>
    /// <param name="path">A file path.</param>
    /// <returns>True for a pickle.</returns>
    public static bool LooksLikePickle(string path)
    {
        using FileStream stream = InputFile.OpenRead(path, "input", bufferSize: 1);
        Span<byte> head = stackalloc byte[2];
        return stream.Read(head) == 2 && head[0] == 0x80 && head[1] <= 5;
    }

    /// <summary>Reads the CIFAR-10 "python version" file (a pickled dict with <c>data</c>, <c>labels</c>, <c>filenames</c>).</summary>
    /// <param name="path">E.g. <c>cifar-10-batches-py/test_batch</c>.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CIFAR-10 pickle, or is damaged.</exception>
    public static CifarDataset ReadPickle(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var clock = Stopwatch.StartNew();
        using FileStream stream = InputFile.OpenRead(path, "CIFAR-10 file", 1 << 16, MissingHint);
        return FromPickle(stream, path, clock);
    }

    /// <summary>Reads a CIFAR-10 "python version" pickle from a stream.</summary>
    /// <param name="stream">The pickle stream.</param>
    /// <param name="source">A name for errors and results.</param>
    /// <returns>The data set.</returns>
    public static CifarDataset ReadPickle(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return FromPickle(stream, source, Stopwatch.StartNew());
    }

    /// <summary>Reads the CIFAR-10 "binary version" file: records of one label byte and 3072 pixel bytes.</summary>
    /// <param name="path">E.g. <c>cifar-10-batches-bin/test_batch.bin</c>.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The path is not a regular file, or its length is not a whole number of records.</exception>
    public static CifarDataset ReadBinary(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var clock = Stopwatch.StartNew();
        const int record = BytesPerImage + 1;
        byte[] bytes;
        using (FileStream stream = InputFile.OpenRead(path, "CIFAR-10 file", bufferSize: 1, MissingHint))
        {
            long length = stream.Length;
            if (length == 0 || length % record != 0)
            {
                throw new InvalidDataException($"'{path}' is not a CIFAR-10 binary file: its {length} bytes are not a whole number of {record}-byte records (1 label byte + 3072 pixel bytes).");
            }

            if (length > Array.MaxLength)
            {
                throw new InvalidDataException($"'{path}' holds {length / record:N0} records; one CIFAR-10 file is read into memory at once, at most {Array.MaxLength / record:N0} images. Split it.");
            }

            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }

        int count = bytes.Length / record;
        var pixels = new byte[count * BytesPerImage];
        var labels = new int[count];
        var names = new string[count];
        string stem = Path.GetFileNameWithoutExtension(path);
        for (int i = 0; i < count; i++)
        {
            int label = bytes[i * record];
            labels[i] = label < ClassCount ? label : UnknownLabel; // a bad label byte costs that label, not the file
            names[i] = string.Create(CultureInfo.InvariantCulture, $"{stem}_{i:D5}");
            Buffer.BlockCopy(bytes, (i * record) + 1, pixels, i * BytesPerImage, BytesPerImage);
        }

        return new CifarDataset(path, pixels, labels, names, clock.Elapsed);
    }

    private static CifarDataset FromPickle(Stream stream, string source, Stopwatch clock)
    {
        object? root = RestrictedUnpickler.Load(stream, source);
        if (root is not PickleDict dict)
        {
            throw Invalid(source, "the pickle does not hold a dictionary");
        }

        if (dict["data"] is not NumpyArray data)
        {
            throw Invalid(source, "the key 'data' (a numpy uint8 array N x 3072) is missing");
        }

        if (data.Shape.Length != 2 || data.Shape[1] != BytesPerImage)
        {
            throw Invalid(source, $"'data' has shape ({string.Join(", ", data.Shape)}); expected (N, 3072)");
        }

        int count = data.Shape[0];
        if (dict["labels"] is not List<object?> labelList)
        {
            throw Invalid(source, "the key 'labels' (a list of ints) is missing");
        }

        if (labelList.Count != count)
        {
            throw Invalid(source, $"'labels' holds {labelList.Count} entries for {count} images");
        }

        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = labelList[i] is long l && l is >= 0 and < ClassCount ? (int)l : UnknownLabel;
        }

        var names = new string[count];
        if (dict["filenames"] is List<object?> nameList)
        {
            if (nameList.Count != count)
            {
                throw Invalid(source, $"'filenames' holds {nameList.Count} entries for {count} images");
            }

            for (int i = 0; i < count; i++)
            {
                names[i] = nameList[i] switch
                {
                    byte[] b => Encoding.Latin1.GetString(b),
                    string s => s,
                    _ => throw Invalid(source, $"filename {i} is not a string"),
                };
            }
        }
        else
        {
            string stem = Path.GetFileName(source);
            for (int i = 0; i < count; i++)
            {
                names[i] = string.Create(CultureInfo.InvariantCulture, $"{stem}_{i:D5}");
            }
        }

        return new CifarDataset(source, data.Data, labels, names, clock.Elapsed);
    }

    private const string MissingHint = "pass the 'test_batch' file of cifar-10-batches-py or 'test_batch.bin' of cifar-10-batches-bin.";

    private static InvalidDataException Invalid(string source, string message) =>
        new($"'{source}' is not a CIFAR-10 batch pickle: {message}.");

    private sealed class CifarImageInput(CifarDataset dataset, int index, TimeSpan shared) : ImageInput(dataset._names[index])
    {
        internal override TimeSpan SharedDecodeTime => shared;

        public override string? SourceFile => dataset.Source;

        internal override DecodedImage Decode(DecodeOptions options) =>
            DecodedImage.FromPixels(dataset.GetPixels(index), ImageSize, ImageSize, PixelLayout.Planar);
    }
}
