using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// The kNN index file (<c>simclrv2 index</c>, <see cref="KnnClassifier.Save"/>), little-endian, version 1:
/// <code>
/// 8 bytes   magic "SCLRKNN1"
/// int32     format version (1)
/// int32     dimension D (1..65536)
/// int32     support images N
/// int32     classes C
/// string    model (the model's name; may be null)
/// string    embedding (e.g. projection; may be null)
/// C strings class names, in class-index order
/// N x       int32 class index, string source (the image's name; may be null)
/// N x D     float32, each row L2-normalised
/// </code>
/// A string is an int32 byte count (-1: null; at most 65,536) and that many UTF-8 bytes. A reader
/// refuses another magic or version, counts out of range, a class index out of range and a file
/// whose vector block is not exactly N x D floats: a mismatch is an error, never a silent wrong answer.
/// </summary>
internal static class KnnIndexFile
{
    public const int Version = 1;
    private const int MaxString = 65536;
    private const int MaxDimension = 65536;
    private static ReadOnlySpan<byte> Magic => "SCLRKNN1"u8;

    public static void Write(string path, KnnClassifier knn)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(knn);
        OutputFile.Write(path, nameof(path), [], stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(knn.Dimension);
            writer.Write(knn.Count);
            writer.Write(knn.Classes.Count);
            WriteString(writer, knn.Model);
            WriteString(writer, knn.EmbeddingName);
            foreach (string name in knn.Classes)
            {
                WriteString(writer, name);
            }

            ReadOnlySpan<int> labels = knn.Labels;
            for (int i = 0; i < knn.Count; i++)
            {
                writer.Write(labels[i]);
                WriteString(writer, knn.Sources[i]);
            }

            writer.Flush();
            ReadOnlySpan<float> vectors = knn.Vectors;
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(vectors));
            }
            else
            {
                foreach (float v in vectors)
                {
                    writer.Write(v);
                }
            }
        });
    }

    public static KnnClassifier Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"kNN index '{path}' does not exist; make one with 'simclrv2 index' or KnnClassifier.Save.", path);
        }

        using FileStream stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[8];
            stream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic))
            {
                throw Bad(path, "it does not start with SCLRKNN1: it is not a kNN index");
            }

            int version = reader.ReadInt32();
            if (version != Version)
            {
                throw Bad(path, $"it is format version {version}; this library reads version {Version}");
            }

            int dimension = reader.ReadInt32(), count = reader.ReadInt32(), classes = reader.ReadInt32();
            if (dimension is < 1 or > MaxDimension || count < 0 || classes < 0 || (count > 0 && classes == 0))
            {
                throw Bad(path, $"its header is impossible (dimension {dimension}, {count} images, {classes} classes)");
            }

            long vectorBytes = (long)count * dimension * sizeof(float);
            if (vectorBytes > stream.Length)
            {
                throw Bad(path, $"it claims {count} vectors of {dimension} floats, more than its {stream.Length} bytes");
            }

            string? model = ReadString(reader, path), embedding = ReadString(reader, path);
            var knn = new KnnClassifier(dimension, embedding, model);
            for (int c = 0; c < classes; c++)
            {
                string name = ReadString(reader, path) ?? throw Bad(path, $"class {c} has no name");
                knn.AddClass(name);
            }

            var labels = new int[count];
            var sources = new string?[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = reader.ReadInt32();
                if ((uint)labels[i] >= (uint)classes)
                {
                    throw Bad(path, $"image {i} has class index {labels[i]}, outside the {classes} classes");
                }

                sources[i] = ReadString(reader, path);
            }

            if (stream.Length - stream.Position != vectorBytes)
            {
                throw Bad(path, $"its vector block is {stream.Length - stream.Position} bytes; {count} x {dimension} floats are {vectorBytes}");
            }

            float[] row = new float[dimension];
            Span<byte> bytes = MemoryMarshal.AsBytes(row.AsSpan());
            for (int i = 0; i < count; i++)
            {
                stream.ReadExactly(bytes);
                if (!BitConverter.IsLittleEndian)
                {
                    for (int j = 0; j < dimension; j++)
                    {
                        row[j] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(j * sizeof(float), sizeof(float)));
                    }
                }

                try
                {
                    knn.AddNormalized(row, labels[i], sources[i]);
                }
                catch (ArgumentException ex)
                {
                    throw Bad(path, $"image {i}: {ex.Message}");
                }
            }

            return knn;
        }
        catch (EndOfStreamException)
        {
            throw Bad(path, "it ends early (truncated)");
        }
    }

    private static void WriteString(BinaryWriter writer, string? text)
    {
        if (text is null)
        {
            writer.Write(-1);
            return;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        if (utf8.Length > MaxString)
        {
            throw new ArgumentException($"A name of {utf8.Length} bytes is longer than a kNN index holds ({MaxString}).", nameof(text));
        }

        writer.Write(utf8.Length);
        writer.Write(utf8);
    }

    private static string? ReadString(BinaryReader reader, string path)
    {
        int length = reader.ReadInt32();
        if (length == -1)
        {
            return null;
        }

        if (length is < 0 or > MaxString)
        {
            throw Bad(path, $"a string's length is {length}");
        }

        return Encoding.UTF8.GetString(reader.ReadBytes(length) is { } b && b.Length == length ? b : throw new EndOfStreamException());
    }

    private static InvalidDataException Bad(string path, string why) => new($"kNN index '{path}' cannot be read: {why}.");
}
