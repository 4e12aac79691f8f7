using System.Numerics.Tensors;
using SimClrV2.Sophon.Models;

namespace SimClrV2.Sophon.Postprocess;

/// <summary>The one rule for which embedding a classifier fetches, and how a fetched row becomes a vector.</summary>
internal static class EmbeddingRule
{
    /// <summary>The value of <see cref="Pipeline.ClassifierOptions.Embedding"/> that fetches none.</summary>
    public const string None = "none";

    /// <summary>
    /// The option's embedding, else the manifest's default, else its first; null for <see cref="None"/>
    /// or when the manifest lists none. The choice must be a model output other than the logits.
    /// </summary>
    /// <exception cref="InvalidDataException">The chosen name is not an embedding output of the model.</exception>
    public static string? Choose(string? option, ModelManifest? manifest, IReadOnlyCollection<string> outputs, string logits)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (string.Equals(option, None, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string? chosen = option ?? manifest?.DefaultEmbedding ?? (manifest?.Embeddings is { Count: > 0 } listed ? listed[0] : null);
        if (chosen is null)
        {
            return null;
        }

        string from = option is not null ? "the options' Embedding" : "the manifest's defaultEmbedding";
        if (string.Equals(chosen, logits, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{from} names '{chosen}', the logits output; name an embedding output ({Listed(manifest, outputs, logits)}).");
        }

        if (!outputs.Contains(chosen, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{from} names '{chosen}', which is not an output of the model; its outputs are {string.Join(", ", outputs.Select(o => $"'{o}'"))}. Name one of {Listed(manifest, outputs, logits)}, or \"{None}\".");
        }

        return chosen;
    }

    /// <summary>Checks that a kNN head can read the engine's embedding.</summary>
    /// <exception cref="ArgumentException">The engine fetches no embedding, another one, or one of another length.</exception>
    public static void CheckHead(Embeddings.KnnClassifier knn, string? engineEmbedding, int length)
    {
        if (engineEmbedding is null)
        {
            throw new ArgumentException($"The kNN head holds {(knn.EmbeddingName is null ? "embeddings" : $"'{knn.EmbeddingName}' embeddings")}, but the classifier fetches none; give a model with embedding outputs, or set Embedding.", nameof(knn));
        }

        if ((knn.EmbeddingName is not null && !string.Equals(knn.EmbeddingName, engineEmbedding, StringComparison.Ordinal)) || knn.Dimension != length)
        {
            throw new ArgumentException($"The kNN head holds '{knn.EmbeddingName}' embeddings of {knn.Dimension} values; the classifier fetches '{engineEmbedding}' of {length}. Build the head from this model's '{engineEmbedding}', or set Embedding to '{knn.EmbeddingName}'.", nameof(knn));
        }
    }

    /// <summary>Copies a fetched row L2-normalised; false when it is not finite (the prediction is then an error entry).</summary>
    public static bool TryNormalize(ReadOnlySpan<float> row, out float[] vector)
    {
        vector = row.ToArray();
        float norm = TensorPrimitives.Norm(row);
        if (!float.IsFinite(norm))
        {
            return false;
        }

        if (norm > 0f)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        return true;
    }

    private static string Listed(ModelManifest? manifest, IReadOnlyCollection<string> outputs, string logits)
    {
        IEnumerable<string> names = manifest?.Embeddings is { Count: > 0 } listed ? listed : outputs.Where(o => o != logits);
        string text = string.Join(", ", names.Select(n => $"'{n}'"));
        return text.Length == 0 ? "the model has no other output" : text;
    }
}
