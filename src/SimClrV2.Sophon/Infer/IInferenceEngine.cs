namespace SimClrV2.Sophon.Infer;

/// <summary>
/// The engine contract: an engine states its input and the batch sizes it runs, hands out batch
/// buffers it owns (the preprocessor writes straight into them) and runs batches (<see cref="RunAsync"/>).
/// Implementations must be safe to call from several threads, each with its own rented batch.
/// </summary>
public interface IInferenceEngine : IDisposable
{
    /// <summary>A short engine name used in file names and reports, e.g. <c>onnxruntime</c> or <c>sophon</c>.</summary>
    string Name { get; }

    /// <summary>The image input of the network.</summary>
    EngineInput Input { get; }

    /// <summary>Number of values in one output row (the number of classes).</summary>
    int OutputLength { get; }

    /// <summary>The largest batch this engine runs at once; every rented batch has this capacity.</summary>
    int MaxBatchSize { get; }

    /// <summary>
    /// True when the network runs only whole batches of <see cref="MaxBatchSize"/> (a fixed-shape model):
    /// a partial batch is then padded by the engine, and the padding rows never reach results.
    /// </summary>
    bool IsBatchSizeFixed { get; }

    /// <summary>
    /// How many batches may run at once (one per device for the SOPHON engine; 1 where the engine
    /// parallelises inside a run). The pipeline keeps up to this many in flight, results in order.
    /// </summary>
    int MaxConcurrentBatches => 1;

    /// <summary>The embedding output each run also fills (<see cref="InferenceBatch.Embeddings"/>), or null when it fetches none.</summary>
    string? EmbeddingName => null;

    /// <summary>Floats per image in <see cref="InferenceBatch.Embeddings"/> (0 when the engine fetches no embedding).</summary>
    int EmbeddingLength => 0;

    /// <summary>Takes a batch buffer from the engine's pool (allocated once, reused).</summary>
    /// <returns>A batch of capacity <see cref="MaxBatchSize"/>.</returns>
    InferenceBatch RentBatch();

    /// <summary>Gives a batch back to the pool.</summary>
    /// <param name="batch">A batch from <see cref="RentBatch"/>.</param>
    void ReturnBatch(InferenceBatch batch);

    /// <summary>
    /// Runs the network on a batch; the task completes when the batch has run and its outputs are
    /// filled. An engine that waits on a device (SOPHON) completes it from the device's own worker,
    /// so no caller thread blocks; an engine that computes on the caller's thread (ONNX Runtime) runs
    /// the batch and returns a completed task. The classifier never disposes the engine while a run is
    /// in flight, and never calls it after disposing it.
    /// </summary>
    /// <param name="batch">A rented batch whose first <paramref name="count"/> image slots were filled.</param>
    /// <param name="count">1..<see cref="InferenceBatch.Capacity"/>.</param>
    /// <param name="cancellationToken">Stops a batch that has not started; a batch already on the device runs to the end.</param>
    /// <returns>Completes when the outputs are filled.</returns>
    ValueTask RunAsync(InferenceBatch batch, int count, CancellationToken cancellationToken = default);
}
