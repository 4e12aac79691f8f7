using System.Numerics.Tensors;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Embeddings;

/// <summary>Few-shot classes over embeddings: votes, prototypes, neighbours, classes added and removed, and the index file.</summary>
public class KnnClassifierTests
{
    /// <summary>Random unit vectors around a few class centres, labelled by centre.</summary>
    private static (KnnClassifier Knn, float[][] Centres) Clustered(int perClass, int classes = 3, int dimension = 16, int seed = 1, float spread = 0.3f)
    {
        var random = new Random(seed);
        float[][] centres = [.. Enumerable.Range(0, classes).Select(_ => Unit(random, dimension))];
        var knn = new KnnClassifier(dimension, "projection", "model-a");
        for (int i = 0; i < perClass; i++)
        {
            for (int c = 0; c < classes; c++)
            {
                float[] v = Unit(random, dimension);
                TensorPrimitives.MultiplyAdd(v, spread, centres[c], v);
                knn.Add(v, $"class{c}", $"c{c}-{i}.png");
            }
        }

        return (knn, centres);
    }

    private static float[] Unit(Random random, int dimension)
    {
        float[] v = [.. Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    private static float[] Normalized(float[] v)
    {
        float[] copy = [.. v];
        TensorPrimitives.Divide(copy, TensorPrimitives.Norm(copy), copy);
        return copy;
    }

    [TestCase(KnnMode.Weighted, 1)]
    [TestCase(KnnMode.Weighted, 20)]
    [TestCase(KnnMode.Prototype, 1)]
    public void AQueryNearAClassCentreGetsThatClass(KnnMode mode, int k)
    {
        (KnnClassifier knn, float[][] centres) = Clustered(perClass: 30);
        knn.Mode = mode;
        knn.K = k;

        Assert.That(centres.Select(c => knn.Classify(Normalized(c)).Label), Is.EqualTo(new[] { "class0", "class1", "class2" }));
    }

    [Test]
    public void TheVoteIsWeightedBySimilarityAndReportsTheBestSimilarityAsTheOutOfDistributionScore()
    {
        var knn = new KnnClassifier(2) { K = 3, Temperature = 0.1f };
        knn.Add([1f, 0f], "near");
        knn.Add([0.6f, 0.8f], "far");
        knn.Add([0.6f, 0.8f], "far");

        KnnPrediction p = knn.Classify([1f, 0f]);

        // near: exp(1/0.1); far: 2 exp(0.6/0.1): one close neighbour outweighs two distant ones.
        float near = MathF.Exp(10f), far = 2 * MathF.Exp(6f);
        Assert.That((p.Label, p.Score, p.Similarity), Is.EqualTo(("near", near / (near + far), 1f)).Using<(string, float, float)>((a, b) => a.Item1 == b.Item1 && MathF.Abs(a.Item2 - b.Item2) < 1e-5f && MathF.Abs(a.Item3 - b.Item3) < 1e-5f));
        Assert.That(knn.Classify([-1f, 0f]).Similarity, Is.LessThan(0f), "a query unlike every support image has a low best similarity");
    }

    [Test]
    public void NearestListsTheMostSimilarSupportImagesInOrderAsABruteForceSortDoes()
    {
        (KnnClassifier knn, _) = Clustered(perClass: 50, seed: 7);
        float[] query = Unit(new Random(3), 16);

        IReadOnlyList<KnnNeighbor> nearest = knn.Nearest(query, 10);
        IReadOnlyList<KnnNeighbor> all = knn.Nearest(query, knn.Count);

        Assert.That(nearest.Select(n => n.Index), Is.EqualTo(all.OrderByDescending(n => n.Similarity).ThenBy(n => n.Index).Take(10).Select(n => n.Index)));
        Assert.That(nearest.Select(n => n.Similarity), Is.Ordered.Descending);
        Assert.That(nearest[0].Source, Does.Match(@"^c\d-\d+\.png$"));
        Assert.That(knn.Nearest(query, 1000), Has.Count.EqualTo(knn.Count));
    }

    [Test]
    public void TopKSelectsWhatASortSelectsForEveryK()
    {
        var random = new Random(5);
        float[] values = [.. Enumerable.Range(0, 300).Select(i => (float)Math.Round(random.NextDouble(), 2))]; // ties included
        foreach (int k in new[] { 1, 2, 7, 64, 299, 300 })
        {
            var top = new int[k];
            TopK.Select(values, top);
            Assert.That(top, Is.EqualTo(Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k)), $"k = {k}");
        }
    }

    [Test]
    public void APrototypeScoresTheMeanSimilarityToItsClassNotTheDirectionOfItsMean()
    {
        // Class "spread": two images at right angles, whose mean points straight at the query (cosine 1)
        // though neither image is close; class "close": one image at cosine 0.99. On average "close" is nearer.
        var knn = new KnnClassifier(2) { Mode = KnnMode.Prototype };
        knn.Add([1f, 0f], "spread");
        knn.Add([0f, 1f], "spread");
        knn.Add([0.8f, 0.6f], "close");
        float[] query = Normalized([1f, 1f]);

        KnnPrediction p = knn.Classify(query);

        float meanSpread = ((query[0] * 1f) + (query[1] * 1f)) / 2;
        float close = (query[0] * 0.8f) + (query[1] * 0.6f);
        Assert.That(close, Is.GreaterThan(meanSpread), "the premise");
        Assert.That((p.Label, p.Score), Is.EqualTo(("close", close)).Using<(string, float)>((a, b) => a.Item1 == b.Item1 && Math.Abs(a.Item2 - b.Item2) < 1e-6f));
    }

    [Test]
    public void RemovingAClassRemovesItsImagesAndKeepsTheOthersAnswers()
    {
        (KnnClassifier knn, float[][] centres) = Clustered(perClass: 20);
        float[] query = Normalized(centres[2]);
        string before = knn.Classify(query).Label;

        Assert.That(knn.RemoveClass("class1"), Is.EqualTo(20));
        Assert.That(knn.RemoveClass("class1"), Is.Zero);

        Assert.That((knn.Count, knn.Classes), Is.EqualTo((40, new[] { "class0", "class2" })));
        Assert.That(knn.Classify(query).Label, Is.EqualTo(before));
        Assert.That(knn.Classify(Normalized(centres[1])).Label, Is.Not.EqualTo("class1"));
        Assert.That(knn.Nearest(query, 40).Select(n => n.Label), Is.All.Not.EqualTo("class1"));
        knn.Mode = KnnMode.Prototype;
        Assert.That(knn.Classify(query).Label, Is.EqualTo("class2"));
    }

    [Test]
    public void ClassesAddedAtRunTimeAreAnsweredAtOnceInBothModes()
    {
        (KnnClassifier knn, _) = Clustered(perClass: 10, dimension: 16);
        float[] novel = Unit(new Random(99), 16);
        knn.Add(novel, "novel", "novel.png");

        Assert.That(knn.Classify(novel).Label, Is.EqualTo("novel"));
        knn.Mode = KnnMode.Prototype;
        Assert.That(knn.Classify(novel).Label, Is.EqualTo("novel"));
    }

    [Test]
    public void BadVectorsAndSettingsAreRefusedNamingTheProblem()
    {
        var knn = new KnnClassifier(4, "projection");

        Assert.That(() => knn.Add([1f, 0f], "a"), Throws.ArgumentException.With.Message.Contains("2 values").And.Message.Contains("'projection' has 4"));
        Assert.That(() => knn.Add(new float[4], "a"), Throws.ArgumentException.With.Message.Contains("zero"));
        Assert.That(() => knn.Add([float.NaN, 0f, 0f, 1f], "a"), Throws.ArgumentException.With.Message.Contains("not finite"));
        Assert.That(() => knn.Add([1f, 0f, 0f, 0f], " "), Throws.ArgumentException);
        Assert.That(() => knn.Classify([1f, 0f, 0f, 0f]), Throws.InvalidOperationException.With.Message.Contains("no support images"));
        Assert.That(() => knn.K = 0, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => knn.Temperature = 0f, Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void AnEmbeddingOfAnotherKindIsRefusedNotCompared()
    {
        var knn = new KnnClassifier(2, "projection");
        knn.Add([1f, 0f], "a");
        ImageEmbedding h = ImageEmbedding.From(new Prediction { Source = "x.png", ClassIndex = 0, Embedding = new float[] { 1f, 0f }, EmbeddingName = "h" });

        Assert.That(() => knn.Classify(h), Throws.ArgumentException.With.Message.Contains("'h' embedding").And.Message.Contains("'projection'"));
    }

    [Test]
    public void AQueryAllocatesNothingOnceWarm()
    {
        (KnnClassifier knn, float[][] centres) = Clustered(perClass: 400, dimension: 128); // 1,200 rows: the two-pass search
        float[] query = Normalized(centres[0]);
        var neighbors = new KnnNeighbor[10];
        knn.Classify(query);
        knn.Nearest(query, neighbors);
        knn.Mode = KnnMode.Prototype;
        knn.Classify(query);
        knn.Mode = KnnMode.Weighted;

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            knn.Classify(query);
            knn.Nearest(query, neighbors);
        }

        knn.Mode = KnnMode.Prototype;
        knn.Classify(query);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void TheIndexFileKeepsEverythingAQueryDependsOn()
    {
        using var dir = new TempDir();
        (KnnClassifier knn, float[][] centres) = Clustered(perClass: 25);
        knn.Add(Unit(new Random(4), 16), "caf\u00e9 \u732b", null);
        string path = dir.File("index.bin");

        knn.Save(path);
        KnnClassifier loaded = KnnClassifier.Load(path);

        Assert.That((loaded.Dimension, loaded.EmbeddingName, loaded.Model, loaded.Count, loaded.Classes), Is.EqualTo((16, "projection", "model-a", 76, knn.Classes)));
        float[] query = Normalized(centres[1]);
        Assert.That(loaded.Nearest(query, 76).Select(n => (n.Index, n.Label, n.Source, n.Similarity)), Is.EqualTo(knn.Nearest(query, 76).Select(n => (n.Index, n.Label, n.Source, n.Similarity))));
    }

    [Test]
    public void ADamagedOrForeignIndexFileIsRefusedSayingWhy()
    {
        using var dir = new TempDir();
        (KnnClassifier knn, _) = Clustered(perClass: 2, classes: 2, dimension: 4);
        string path = dir.File("index.bin");
        knn.Save(path);
        byte[] good = File.ReadAllBytes(path);

        string Damaged(string name, Action<byte[]> damage, int? length = null)
        {
            byte[] bytes = good[..(length ?? good.Length)];
            damage(bytes);
            string p = dir.File(name);
            File.WriteAllBytes(p, bytes);
            return p;
        }

        Assert.That(() => KnnClassifier.Load(Damaged("magic.bin", b => b[0] = (byte)'X')), Throws.TypeOf<InvalidDataException>().With.Message.Contains("not a kNN index"));
        Assert.That(() => KnnClassifier.Load(Damaged("version.bin", b => b[8] = 2)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("format version 2"));
        Assert.That(() => KnnClassifier.Load(Damaged("short.bin", _ => { }, good.Length - 4)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("vector block"));
        Assert.That(() => KnnClassifier.Load(Damaged("cut.bin", b => { BitConverter.GetBytes(0).CopyTo(b, 16); BitConverter.GetBytes(0).CopyTo(b, 20); }, 30)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("ends early"));
        Assert.That(() => KnnClassifier.Load(Damaged("label.bin", b => BitConverter.GetBytes(7).CopyTo(b, good.Length - (4 * 4 * 4) - 4 - "c1-1.png".Length - 4))), Throws.TypeOf<InvalidDataException>().With.Message.Contains("class index 7"));
        Assert.That(() => KnnClassifier.Load(Damaged("huge.bin", b => BitConverter.GetBytes(int.MaxValue).CopyTo(b, 16))), Throws.TypeOf<InvalidDataException>().With.Message.Contains("more than its"));
        Assert.That(() => KnnClassifier.Load(dir.File("missing.bin")), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("simclrv2 index"));
    }
}
