using Microsoft.Extensions.AI;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// The classifier's embeddings as a Microsoft.Extensions.AI embedding generator, so vector stores
/// (Microsoft.Extensions.VectorData) and Semantic Kernel can embed images: each value is an image as
/// <see cref="DataContent"/> (its bytes, e.g. <c>new DataContent(File.ReadAllBytes("cat.jpg"), "image/jpeg")</c>,
/// or a <c>data:</c> URI), and each embedding is the L2-normalised vector of the classifier's
/// embedding output (<see cref="IImageClassifier.EmbeddingName"/>), computed in the same batched run
/// as a classification. An image that cannot be embedded fails the call with an
/// <see cref="InvalidDataException"/> naming it (a vector store must never get a wrong vector).
/// </summary>
public sealed class ImageEmbeddingGenerator : IEmbeddingGenerator<DataContent, Embedding<float>>
{
    private readonly IImageClassifier _classifier;
    private readonly bool _ownsClassifier;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Wraps a classifier that fetches an embedding.</summary>
    /// <param name="classifier">The classifier (see <see cref="ClassifierOptions.Embedding"/>).</param>
    /// <param name="modelId">The model's name, reported as the embeddings' and the metadata's model id; may be null.</param>
    /// <param name="ownsClassifier">Whether disposing the generator disposes the classifier.</param>
    /// <exception cref="InvalidOperationException">The classifier fetches no embedding.</exception>
    public ImageEmbeddingGenerator(IImageClassifier classifier, string? modelId = null, bool ownsClassifier = false)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (classifier.EmbeddingName is null)
        {
            throw new InvalidOperationException("The classifier fetches no embedding: its model's manifest lists no embedding outputs and ClassifierOptions.Embedding names none.");
        }

        _classifier = classifier;
        _ownsClassifier = ownsClassifier;
        ModelId = modelId;
        _metadata = new EmbeddingGeneratorMetadata("SimClrV2.Sophon", null, modelId, null);
    }

    /// <summary>The model id reported with the embeddings, or null.</summary>
    public string? ModelId { get; }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<DataContent> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        List<ImageInput> inputs = [.. values.Select((v, i) => v is null
            ? ImageInput.FromError($"value #{i}", $"value #{i} is null.", PredictionErrorKind.InvalidInput)
            : ImageInput.FromBytes(v.Data, v.Name ?? $"value #{i}"))];
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        var failed = new List<string>();
        await foreach (Prediction p in _classifier.ClassifyAsync(inputs, null, cancellationToken).ConfigureAwait(false))
        {
            if (!p.Succeeded)
            {
                failed.Add($"{p.Source}: {p.Error}");
                continue;
            }

            result.Add(new Embedding<float>(p.Embedding) { ModelId = ModelId ?? p.EmbeddingName, CreatedAt = DateTimeOffset.UtcNow });
        }

        return failed.Count == 0 ? result : throw new InvalidDataException($"{failed.Count} of {inputs.Count} images could not be embedded: {string.Join("; ", failed.Take(5))}{(failed.Count > 5 ? "; ..." : string.Empty)}");
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(_classifier) ? _classifier
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClassifier)
        {
            _classifier.Dispose();
        }
    }
}
