using System.Buffers;
using System.Numerics.Tensors;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>The queries: classification (weighted vote or prototypes) and nearest neighbours.</summary>
public sealed partial class KnnClassifier
{
    /// <summary>Classifies an embedding from <c>Embed</c>; its embedding and dimension must be this classifier's.</summary>
    /// <param name="embedding">The query.</param>
    /// <returns>The class, its score and the query's best similarity to the support set.</returns>
    /// <exception cref="ArgumentException">The embedding failed, or is of another embedding or dimension.</exception>
    public KnnPrediction Classify(ImageEmbedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (!embedding.Succeeded)
        {
            throw new ArgumentException($"'{embedding.Source}' has no embedding: {embedding.Error}", nameof(embedding));
        }

        CheckEmbedding(embedding);
        return Classify(embedding.Vector.Span);
    }

    /// <summary>Classifies an L2-normalised query vector. Allocates nothing.</summary>
    /// <param name="query">The query (<see cref="Dimension"/> floats, L2-normalised as <c>Embed</c> gives it).</param>
    /// <returns>The class, its score (the share of the vote, or the mean similarity to the class's support images) and the best similarity to any support image (low: unlike anything known).</returns>
    /// <exception cref="InvalidOperationException">The support set is empty.</exception>
    public KnnPrediction Classify(ReadOnlySpan<float> query)
    {
        CheckLength(query.Length, nameof(query));
        int count = Count;
        if (count == 0)
        {
            throw new InvalidOperationException("The kNN classifier has no support images; add labelled embeddings first.");
        }

        if (Mode == KnnMode.Prototype)
        {
            Span<int> nearest = stackalloc int[1];
            Span<float> similarity = stackalloc float[1];
            float best = SimilaritySearch.Top(Vectors, Quantized(), query, nearest, similarity, sorted: false);
            return ClassifyByPrototype(query, best);
        }

        int k = Math.Min(K, count);
        int[] order = ArrayPool<int>.Shared.Rent(k);
        float[] similarities = ArrayPool<float>.Shared.Rent(k);
        try
        {
            Span<int> top = order.AsSpan(0, k);
            Span<float> sims = similarities.AsSpan(0, k);
            float best = SimilaritySearch.Top(Vectors, Quantized(), query, top, sims, sorted: false);
            return Vote(top, sims, best);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<float>.Shared.Return(similarities);
        }
    }

    /// <summary>The support images most similar to a query, most similar first (near-duplicates, "more like this").</summary>
    /// <param name="query">The query (L2-normalised).</param>
    /// <param name="top">How many.</param>
    /// <returns>Up to <paramref name="top"/> neighbours.</returns>
    public IReadOnlyList<KnnNeighbor> Nearest(ReadOnlySpan<float> query, int top)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var neighbors = new KnnNeighbor[Math.Min(top, Count)];
        int n = Nearest(query, neighbors);
        return n == neighbors.Length ? neighbors : neighbors[..n];
    }

    /// <summary>Fills <paramref name="neighbors"/> with the most similar support images, most similar first. Allocates nothing.</summary>
    /// <param name="query">The query (L2-normalised).</param>
    /// <param name="neighbors">Receives the neighbours.</param>
    /// <returns>How many were written (the smaller of its length and <see cref="Count"/>).</returns>
    public int Nearest(ReadOnlySpan<float> query, Span<KnnNeighbor> neighbors)
    {
        CheckLength(query.Length, nameof(query));
        int count = Count, k = Math.Min(neighbors.Length, count);
        if (k == 0)
        {
            return 0;
        }

        int[] order = ArrayPool<int>.Shared.Rent(k);
        float[] similarities = ArrayPool<float>.Shared.Rent(k);
        try
        {
            Span<int> top = order.AsSpan(0, k);
            SimilaritySearch.Top(Vectors, Quantized(), query, top, similarities.AsSpan(0, k), sorted: true);
            for (int i = 0; i < k; i++)
            {
                int s = top[i];
                neighbors[i] = new KnnNeighbor(s, _labels[s], _classes[_labels[s]], _sources[s], similarities[i]);
            }

            return k;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<float>.Shared.Return(similarities);
        }
    }

    /// <summary>The k nearest support images vote, each with weight exp(similarity / t).</summary>
    private KnnPrediction Vote(ReadOnlySpan<int> top, ReadOnlySpan<float> sims, float best)
    {
        int classes = _classes.Count;
        float[] votes = ArrayPool<float>.Shared.Rent(classes);
        try
        {
            Span<float> tally = votes.AsSpan(0, classes);
            tally.Clear();
            float inverse = 1f / Temperature;
            for (int i = 0; i < top.Length; i++)
            {
                // Relative to the best similarity: exp((s - best) / t) <= 1, no overflow, same ranking.
                tally[_labels[top[i]]] += MathF.Exp((sims[i] - best) * inverse);
            }

            int winner = TensorPrimitives.IndexOfMax(tally);
            return new KnnPrediction(winner, _classes[winner], tally[winner] / TensorPrimitives.Sum(tally), best);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(votes);
        }
    }

    private KnnPrediction ClassifyByPrototype(ReadOnlySpan<float> query, float best)
    {
        float[] prototypes = Prototypes();
        int classes = _classes.Count, d = Dimension;
        int winner = -1;
        float top = float.NegativeInfinity;
        for (int c = 0; c < classes; c++)
        {
            float s = TensorPrimitives.Dot(prototypes.AsSpan(c * d, d), query);
            if (s > top)
            {
                (top, winner) = (s, c);
            }
        }

        return new KnnPrediction(winner, _classes[winner], top, best);
    }

    /// <summary>
    /// Each class's mean support vector, not renormalised: its dot product with a query is the mean
    /// similarity to the class's support images (the definition the embeddings issue's k-shot figures
    /// use; renormalising would compare directions only). Computed once after a change.
    /// </summary>
    private float[] Prototypes() => Derived(ref _prototypes, static knn =>
    {
        int classes = knn._classes.Count, d = knn.Dimension;
        var means = new float[classes * d];
        var counts = new int[classes];
        for (int i = 0; i < knn.Count; i++)
        {
            Span<float> row = means.AsSpan(knn._labels[i] * d, d);
            TensorPrimitives.Add(row, knn._vectors.AsSpan(i * d, d), row);
            counts[knn._labels[i]]++;
        }

        for (int c = 0; c < classes; c++)
        {
            if (counts[c] > 0)
            {
                Span<float> row = means.AsSpan(c * d, d);
                TensorPrimitives.Divide(row, counts[c], row);
            }
        }

        return means;
    });

    /// <summary>The support vectors' 8-bit copy for the first pass of a search, made once after a change; null where the CPU or the set's size gains nothing from it.</summary>
    private QuantizedRows? Quantized() =>
        SimilaritySearch.UsesQuantized(Count) ? Derived(ref _quantized, static knn => QuantizedRows.Build(knn.Vectors, knn.Dimension)) : null;

    /// <summary>A value derived from the support set: made by the first query that needs it after a change, once however many queries race for it.</summary>
    private T Derived<T>(ref T? field, Func<KnnClassifier, T> make)
        where T : class
    {
        if (Volatile.Read(ref field) is { } ready)
        {
            return ready;
        }

        lock (_derivedLock)
        {
            if (field is { } made)
            {
                return made;
            }

            T built = make(this);
            Volatile.Write(ref field, built);
            return built;
        }
    }
}
