using System.Buffers;
using System.Numerics.Tensors;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// Few-shot classes without retraining: a classifier over labelled embeddings (the support set),
/// by cosine similarity. <see cref="KnnMode.Weighted"/> lets the <see cref="K"/> most similar
/// support images vote with weight exp(similarity / <see cref="Temperature"/>) (k = 1: nearest
/// neighbour); <see cref="KnnMode.Prototype"/> takes the class whose support images are the most
/// similar on average (the dot product with their mean embedding). Classes are added and removed at run time; <see cref="Save"/> and <see cref="Load"/>
/// keep it in a file that records the model, the embedding and the dimension
/// (the kNN index file, documented in the README). From 1,024 support images on a CPU with AVX2, the
/// first query after a change makes an 8-bit copy of the support vectors (a quarter of their size) that
/// a search scans before rescoring its closest rows in float; the answers are those of a float scan of
/// every row. Queries may run on several threads at once; adding or removing while queries run is not
/// supported.
/// </summary>
public sealed partial class KnnClassifier
{
    private readonly List<string> _classes = [];
    private readonly List<string?> _sources = [];
    private readonly object _derivedLock = new();
    private float[] _vectors = [];
    private int[] _labels = [];
    private float[]? _prototypes;
    private QuantizedRows? _quantized;
    private int _k = 200;
    private float _temperature = 0.1f;

    /// <summary>Creates an empty classifier for vectors of one embedding.</summary>
    /// <param name="dimension">The embedding's length (e.g. 128).</param>
    /// <param name="embeddingName">Which embedding the vectors are (e.g. <c>projection</c>); a query of another is refused.</param>
    /// <param name="model">Which model made them (a name recorded in the file, compared by the caller that loads it).</param>
    public KnnClassifier(int dimension, string? embeddingName = null, string? model = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Dimension = dimension;
        EmbeddingName = embeddingName;
        Model = model;
    }

    /// <summary>The embedding's length.</summary>
    public int Dimension { get; }

    /// <summary>Which embedding the support vectors are, or null when not recorded.</summary>
    public string? EmbeddingName { get; }

    /// <summary>Which model made the support vectors, or null when not recorded.</summary>
    public string? Model { get; }

    /// <summary>Support images.</summary>
    public int Count => _sources.Count;

    /// <summary>The class names, in class-index order.</summary>
    public IReadOnlyList<string> Classes => _classes;

    /// <summary>How a query is classified (default <see cref="KnnMode.Weighted"/>).</summary>
    public KnnMode Mode { get; set; } = KnnMode.Weighted;

    /// <summary>Neighbours that vote in <see cref="KnnMode.Weighted"/> (default 200; 1 is the nearest neighbour).</summary>
    public int K
    {
        get => _k;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _k = value;
        }
    }

    /// <summary>The vote's temperature: a neighbour's weight is exp(similarity / t) (default 0.1).</summary>
    public float Temperature
    {
        get => _temperature;
        set
        {
            if (!(value > 0f) || !float.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Temperature must be finite and positive (default 0.1).");
            }

            _temperature = value;
        }
    }

    /// <summary>Adds one support image; its vector is L2-normalised here.</summary>
    /// <param name="vector">The embedding (<see cref="Dimension"/> floats).</param>
    /// <param name="label">Its class name (a new name adds a class).</param>
    /// <param name="source">Its name, reported by <see cref="Nearest(ReadOnlySpan{float}, int)"/>; may be null.</param>
    /// <exception cref="ArgumentException">The vector has another length, is zero or not finite, or the label is blank.</exception>
    public void Add(ReadOnlySpan<float> vector, string label, string? source = null)
    {
        CheckLength(vector.Length, nameof(vector));
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        float norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0f) || !float.IsFinite(norm))
        {
            throw new ArgumentException($"The vector of '{source ?? label}' is {(norm == 0f ? "zero" : "not finite")}; it has no direction to compare.", nameof(vector));
        }

        int classIndex = _classes.IndexOf(label);
        if (classIndex < 0)
        {
            classIndex = _classes.Count;
            _classes.Add(label);
        }

        TensorPrimitives.Divide(vector, norm, Append(classIndex, source));
    }

    /// <summary>
    /// Adds the embeddings of labelled inputs (a CIFAR file, a folder with one sub-folder per class):
    /// each succeeded embedding with a known class is added under <paramref name="classNames"/>[its class].
    /// </summary>
    /// <param name="embeddings">Embeddings from <c>Embed</c>.</param>
    /// <param name="classNames">The names of the inputs' class indexes (the classifier's labels).</param>
    /// <returns>How many were added (failed and unlabelled inputs are not).</returns>
    /// <exception cref="ArgumentException">An embedding is of another embedding or dimension.</exception>
    public int AddRange(IEnumerable<ImageEmbedding> embeddings, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(classNames);
        int added = 0;
        foreach (ImageEmbedding e in embeddings)
        {
            if (e.Succeeded && e.ExpectedClassIndex is int c && c >= 0 && c < classNames.Count)
            {
                CheckEmbedding(e);
                Add(e.Vector.Span, classNames[c], e.Source);
                added++;
            }
        }

        return added;
    }

    /// <summary>Removes a class and its support images.</summary>
    /// <param name="label">The class name.</param>
    /// <returns>How many support images were removed (0 when there is no such class).</returns>
    public int RemoveClass(string label)
    {
        int classIndex = _classes.IndexOf(label);
        if (classIndex < 0)
        {
            return 0;
        }

        int kept = 0, count = Count;
        for (int i = 0; i < count; i++)
        {
            if (_labels[i] == classIndex)
            {
                continue;
            }

            if (kept != i)
            {
                _vectors.AsSpan(i * Dimension, Dimension).CopyTo(_vectors.AsSpan(kept * Dimension, Dimension));
                _sources[kept] = _sources[i];
            }

            _labels[kept++] = _labels[i] > classIndex ? _labels[i] - 1 : _labels[i];
        }

        _sources.RemoveRange(kept, count - kept);
        _classes.RemoveAt(classIndex);
        Changed();
        return count - kept;
    }

    /// <summary>Writes the classifier to a kNN index file (versioned; it records the model, the embedding and the dimension), replacing it only when complete.</summary>
    /// <param name="path">The destination.</param>
    public void Save(string path) => KnnIndexFile.Write(path, this);

    /// <summary>Reads a classifier written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The classifier (mode, k and temperature at their defaults).</returns>
    /// <exception cref="InvalidDataException">The file is not a kNN index of a version this library reads, or is damaged.</exception>
    public static KnnClassifier Load(string path) => KnnIndexFile.Read(path);

    /// <summary>The support vectors, row by row.</summary>
    internal ReadOnlySpan<float> Vectors => _vectors.AsSpan(0, Count * Dimension);

    /// <summary>The class index of each support vector.</summary>
    internal ReadOnlySpan<int> Labels => _labels.AsSpan(0, Count);

    /// <summary>The name of each support vector.</summary>
    internal IReadOnlyList<string?> Sources => _sources;

    /// <summary>Adds a class without support images (the file lists every class).</summary>
    internal void AddClass(string name) => _classes.Add(name);

    /// <summary>Adds a support vector stored normalised (the file reader) under a class index, as it is.</summary>
    /// <exception cref="ArgumentException">It is not finite.</exception>
    internal void AddNormalized(ReadOnlySpan<float> vector, int classIndex, string? source)
    {
        CheckLength(vector.Length, nameof(vector));
        if (!float.IsFinite(TensorPrimitives.Sum(vector)))
        {
            throw new ArgumentException("its vector is not finite.", nameof(vector));
        }

        vector.CopyTo(Append(classIndex, source));
    }

    /// <summary>Makes room for one more support vector and returns its row.</summary>
    private Span<float> Append(int classIndex, string? source)
    {
        int count = Count;
        if ((count + 1) * Dimension > _vectors.Length)
        {
            Array.Resize(ref _vectors, Math.Max(16, count * 2) * Dimension);
            Array.Resize(ref _labels, Math.Max(16, count * 2));
        }

        _labels[count] = classIndex;
        _sources.Add(source);
        Changed();
        return _vectors.AsSpan(count * Dimension, Dimension);
    }

    /// <summary>Drops what was derived from the support set (the prototypes, the 8-bit copy).</summary>
    private void Changed()
    {
        _prototypes = null;
        _quantized = null;
    }

    private void CheckLength(int length, string name)
    {
        if (length != Dimension)
        {
            throw new ArgumentException($"The vector has {length} values; this kNN classifier's embedding{(EmbeddingName is null ? string.Empty : $" '{EmbeddingName}'")} has {Dimension}.", name);
        }
    }

    private void CheckEmbedding(ImageEmbedding e)
    {
        if (EmbeddingName is not null && e.EmbeddingName is not null && !string.Equals(EmbeddingName, e.EmbeddingName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{e.Source}' is a '{e.EmbeddingName}' embedding; this kNN classifier holds '{EmbeddingName}' embeddings (a similarity across embeddings means nothing). Embed with ClassifierOptions.Embedding = \"{EmbeddingName}\".", nameof(e));
        }

        CheckLength(e.Vector.Length, nameof(e));
    }
}
