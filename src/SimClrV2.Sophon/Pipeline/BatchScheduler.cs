using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Batch;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// The inference stage: takes prepared batches in order and starts each on the engine
/// (<see cref="IInferenceEngine.RunAsync"/>) as soon as one of its <see cref="IInferenceEngine.MaxConcurrentBatches"/>
/// slots is free (a device freed by ANY batch gets the next one), and passes each batch with its
/// pending run on in input order, so results leave in order while a finished batch waits behind a
/// slower older one. Nothing waits on a thread: a device's worker completes the run, and the
/// scheduler awaits a free slot. Each run holds the classifier's engine gate, so the classifier
/// disposes its engine only when no run is in flight.
/// </summary>
internal sealed class BatchScheduler(IInferenceEngine engine, RunGate engineRuns, ILogger logger)
{
    /// <summary>Batches running at once.</summary>
    public int Parallel { get; } = Math.Max(1, engine.MaxConcurrentBatches);

    /// <summary>Batches out (running or finished, not yet postprocessed): twice the devices, so each device has its next batch ready.</summary>
    public int Outstanding => 2 * Parallel;

    /// <summary>Starts every batch of <paramref name="prepared"/>, writing it and its run to <paramref name="started"/> in order; completes <paramref name="started"/> at the end.</summary>
    public async Task ScheduleAsync(ChannelReader<PreparedBatch> prepared, ChannelWriter<(PreparedBatch Batch, Task<InferenceOutcome> Outcome)> started, CancellationToken cancellationToken)
    {
        // Never disposed: a run still in flight when the schedule ends releases its slot later.
        var slots = new SemaphoreSlim(Parallel, Parallel);
        try
        {
            while (await prepared.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (prepared.TryRead(out PreparedBatch? batch))
                {
                    Task<InferenceOutcome> outcome;
                    try
                    {
                        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                        outcome = InferAsync(batch, slots, cancellationToken);
                    }
                    catch
                    {
                        BatchProducer.Return(engine, batch);
                        throw;
                    }

                    if (!started.TryWrite((batch, outcome)))
                    {
                        try
                        {
                            await started.WriteAsync((batch, outcome), cancellationToken).ConfigureAwait(false);
                        }
                        catch
                        {
                            await ((Task)outcome).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                            BatchProducer.Return(engine, batch);
                            throw;
                        }
                    }
                }
            }

            started.Complete();
        }
        catch (Exception ex)
        {
            started.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Runs one batch; a failure of the run is the outcome's error (the batch's inputs become error entries), never an exception.</summary>
    private async Task<InferenceOutcome> InferAsync(PreparedBatch batch, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            if (batch.SlotCount == 0 || batch.Buffer is null)
            {
                return default;
            }

            long start = Stopwatch.GetTimestamp();
            engineRuns.Enter(); // the classifier's Dispose waits for this run before it disposes the engine
            try
            {
                await engine.RunAsync(batch.Buffer, batch.SlotCount, cancellationToken).ConfigureAwait(false);
                return new InferenceOutcome(Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch.SlotCount, batch.Buffer.ComputeMs / batch.SlotCount, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
            {
                ClassifierLog.BatchFailed(logger, batch.SlotCount, ex);
                return new InferenceOutcome(Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch.SlotCount, 0, $"inference failed: {ex.Message}");
            }
            finally
            {
                engineRuns.Exit();
            }
        }
        finally
        {
            slots.Release();
        }
    }
}
