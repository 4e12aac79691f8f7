using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>
/// Labelled images' embeddings for the kNN commands: a CIFAR-10 file (the model's class names) or a
/// folder with one sub-folder per class (the sub-folders' names, in ordinal order). Inputs that fail
/// are reported on stderr and left out; each kept one remembers its position among the inputs (the
/// alternate split is by position).
/// </summary>
internal sealed class LabelledSet
{
    private LabelledSet(IReadOnlyList<string> classes, List<float[]> vectors, List<int> labels, List<int> positions, List<string> sources, string embedding)
    {
        Classes = classes;
        Vectors = vectors;
        Labels = labels;
        Positions = positions;
        Sources = sources;
        EmbeddingName = embedding;
    }

    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<float[]> Vectors { get; }

    public IReadOnlyList<int> Labels { get; }

    public IReadOnlyList<int> Positions { get; }

    public IReadOnlyList<string> Sources { get; }

    public string EmbeddingName { get; }

    public int Count => Vectors.Count;

    public static LabelledSet Embed(IImageClassifier classifier, string path, TextWriter stderr)
    {
        IReadOnlyList<string> classes = ImageInputs.Detect(path) switch
        {
            InputKind.CifarPickle or InputKind.CifarBinary => classifier.Labels,
            InputKind.Folder => [.. Directory.GetDirectories(path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)],
            _ => throw new ArgumentException($"'{path}' is not labelled: give a CIFAR-10 file, or a folder with one sub-folder per class."),
        };
        if (classes.Count == 0)
        {
            throw new ArgumentException($"'{path}' has no class sub-folders: put each class's images in a sub-folder named after it.");
        }

        IReadOnlyList<ImageEmbedding> embeddings = classifier.Embed(ImageInputs.FromPath(path, classes));
        List<float[]> vectors = [];
        List<int> labels = [], positions = [];
        List<string> sources = [];
        for (int i = 0; i < embeddings.Count; i++)
        {
            ImageEmbedding e = embeddings[i];
            if (!e.Succeeded || e.ExpectedClassIndex is not int label)
            {
                stderr.WriteLine($"warning: {ConsoleText.Printable(e.Source)}: {ConsoleText.Printable(e.Error ?? "not in a class folder")}; left out");
                continue;
            }

            vectors.Add(e.Vector.ToArray());
            labels.Add(label);
            positions.Add(i);
            sources.Add(e.Source);
        }

        return vectors.Count > 0
            ? new LabelledSet(classes, vectors, labels, positions, sources, classifier.EmbeddingName!)
            : throw new InvalidDataException($"No image of '{path}' could be embedded.");
    }

    /// <summary>
    /// <paramref name="shots"/> random rows per class from <paramref name="rows"/> (all rows when null),
    /// classes in order, each class's rows in the order given: <c>rng.choice(members, shots,
    /// replace=False)</c> per class, as NumPy draws them. A class with fewer rows keeps them all.
    /// </summary>
    public int[] Draw(int shots, NumpyGenerator random, IReadOnlyList<int>? rows = null)
    {
        rows ??= [.. Enumerable.Range(0, Count)];
        var picked = new List<int>();
        foreach (IGrouping<int, int> byClass in rows.GroupBy(r => Labels[r]).OrderBy(g => g.Key))
        {
            int[] members = [.. byClass];
            picked.AddRange(shots > members.Length ? members : random.Choice(members.Length, shots).Select(i => members[i]));
        }

        return [.. picked];
    }

    public KnnClassifier Build(IEnumerable<int> rows, string model)
    {
        var knn = new KnnClassifier(Vectors[0].Length, EmbeddingName, model);
        // By class, then in input order: the index's class indexes follow the set's class order.
        foreach (int r in rows.OrderBy(r => Labels[r]).ThenBy(r => r))
        {
            knn.Add(Vectors[r], Classes[Labels[r]], Sources[r]);
        }

        return knn;
    }
}
