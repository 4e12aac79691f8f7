using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Batch;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// The input stage: reads the inputs in order, decodes up to <c>decodeThreads</c> of them at once
/// on the thread pool (a window in input order, so at most that many decoded images wait), and
/// preprocesses each, in order, into the next slot of the current batch; full batches go to the
/// channel. Nothing here throws for one bad input: it becomes an error entry of its batch.
/// </summary>
internal sealed class BatchProducer(IInferenceEngine engine, IImagePreprocessor preprocessor, DecodeOptions decode, int decodeThreads, ILogger logger)
{
    /// <summary>Fills batches from <paramref name="inputs"/> into <paramref name="writer"/>, then completes it (with the failure, if any).</summary>
    public async Task ProduceAsync(IAsyncEnumerable<ImageInput> inputs, ChannelWriter<PreparedBatch> writer, CancellationToken cancellationToken)
    {
        PreparedBatch? current = null;
        var window = new Queue<(ImageInput Input, int Index, Task<Decoded> Decoding)>();
        try
        {
            int index = 0;
            await using IAsyncEnumerator<ImageInput> enumerator = inputs.GetAsyncEnumerator(cancellationToken);
            bool more = true;
            while (more || window.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (more && window.Count < decodeThreads)
                {
                    ImageInput input;
                    try
                    {
                        more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                        input = more ? enumerator.Current ?? ImageInput.FromError($"input #{index}", $"input {index} is null", PredictionErrorKind.InvalidInput) : null!;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The caller's sequence failed: everything before it is kept, and the failure
                        // itself becomes one error entry in its place.
                        ClassifierLog.InputsFailed(logger, index, ex);
                        input = ImageInput.FromError($"input #{index}", $"reading the inputs failed after {index} input(s): {ex.Message}", PredictionErrorKind.InvalidInput);
                        more = false;
                        window.Enqueue((input, index++, Task.FromResult(Decode(input, cancellationToken))));
                        continue;
                    }

                    if (more)
                    {
                        int i = index++;
                        window.Enqueue((input, i, decodeThreads == 1 ? Task.FromResult(Decode(input, cancellationToken)) : Task.Run(() => Decode(input, cancellationToken), cancellationToken)));
                    }

                    continue;
                }

                (ImageInput next, int nextIndex, Task<Decoded> decoding) = window.Dequeue();
                Decoded decoded = await decoding.ConfigureAwait(false);
                current ??= RentBatch();
                Fill(next, nextIndex, decoded, current);
                if (current.IsFull)
                {
                    await writer.WriteAsync(current, cancellationToken).ConfigureAwait(false);
                    current = null;
                }
            }

            if (current is not null)
            {
                await writer.WriteAsync(current, cancellationToken).ConfigureAwait(false);
                current = null;
            }

            writer.Complete();
        }
        catch (Exception ex)
        {
            if (current is not null)
            {
                Return(engine, current);
            }

            while (window.TryDequeue(out (ImageInput Input, int Index, Task<Decoded> Decoding) left))
            {
                await ((Task)left.Decoding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (left.Decoding.IsCompletedSuccessfully)
                {
                    left.Decoding.Result.Image?.Dispose();
                }
            }

            writer.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Gives a batch's buffer back to its engine (a batch without one has nothing to give).</summary>
    public static void Return(IInferenceEngine engine, PreparedBatch batch)
    {
        if (batch.Buffer is not null)
        {
            engine.ReturnBatch(batch.Buffer);
        }
    }

    /// <summary>A batch over a rented buffer; when renting fails (device memory, say), a buffer-less batch whose inputs become error entries, so the run goes on.</summary>
    private PreparedBatch RentBatch()
    {
        try
        {
            return new PreparedBatch(engine.RentBatch());
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
        {
            ClassifierLog.RentFailed(logger, ex);
            return new PreparedBatch(engine.MaxBatchSize, $"no batch buffer for this input: {ex.Message}");
        }
    }

    /// <summary>Decodes one input (on a decode thread); a failure is the result's error, never an exception.</summary>
    private Decoded Decode(ImageInput input, CancellationToken cancellationToken)
    {
        double shared = input.SharedDecodeTime.TotalMilliseconds;
        if (cancellationToken.IsCancellationRequested)
        {
            return new Decoded(null, "cancelled", PredictionErrorKind.Cancelled, shared);
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            DecodedImage image = input.Decode(decode);
            return new Decoded(image, null, PredictionErrorKind.None, shared + Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new Decoded(null, ex.Message, InputErrors.KindOf(ex), shared + Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    /// <summary>Preprocesses a decoded input into the batch's next slot (in input order), or records its error; disposes the image.</summary>
    private void Fill(ImageInput input, int index, Decoded decoded, PreparedBatch batch)
    {
        using DecodedImage? image = decoded.Image;
        if (batch.Buffer is null)
        {
            batch.AddError(input, index, batch.Failure!, PredictionErrorKind.Inference, decoded.DecodeMs, 0);
            return;
        }

        if (image is null)
        {
            ClassifierLog.InputFailed(logger, input.Name, decoded.Error!);
            batch.AddError(input, index, decoded.Error!, decoded.ErrorKind, decoded.DecodeMs, 0);
            return;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            preprocessor.Process(image, batch.Buffer, batch.SlotCount);
            batch.AddImage(input, index, decoded.DecodeMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ClassifierLog.InputFailed(logger, input.Name, ex.Message);
            batch.AddError(input, index, ex.Message, PredictionErrorKind.Preprocessing, decoded.DecodeMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    /// <summary>One decoded input: the image, or why it failed, and the decode time.</summary>
    private readonly record struct Decoded(DecodedImage? Image, string? Error, PredictionErrorKind ErrorKind, double DecodeMs);
}
