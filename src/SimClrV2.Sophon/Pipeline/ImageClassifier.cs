using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimClrV2.Sophon.Batch;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// The classifier over any <see cref="IInferenceEngine"/>: a producer reads the inputs in order,
/// decodes them on <see cref="DecodeThreads"/> threads ahead of itself and preprocesses them
/// straight into engine-owned batch buffers while the consumer runs inference and postprocessing,
/// so the stages overlap and results stay in input order. Engine packages add factories (e.g. <c>OnnxImageClassifier.Create</c>).
/// </summary>
public sealed partial class ImageClassifier : IImageClassifier
{
    private readonly IInferenceEngine _engine;
    private readonly bool _ownsEngine;
    private readonly IImagePreprocessor _preprocessor;
    private readonly Postprocessor _postprocessor;
    private readonly int _prefetch;
    private readonly DecodeOptions _decode;
    private readonly int _decodeThreads;
    private readonly ILogger _logger;
    private int _disposed;
    private int _outputChecked;

    /// <summary>Creates a classifier over an engine.</summary>
    /// <param name="engine">The inference engine.</param>
    /// <param name="options">Preprocessing, labels, top-k, logging.</param>
    /// <param name="ownsEngine">Whether disposing the classifier disposes the engine.</param>
    /// <param name="preprocessor">How images reach the tensor (default: <see cref="CpuPreprocessor"/> with the options' preprocessing).</param>
    /// <exception cref="ArgumentException">The options disagree with the engine (input size, label count).</exception>
    public ImageClassifier(IInferenceEngine engine, ClassifierOptions options, bool ownsEngine = true, IImagePreprocessor? preprocessor = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TopK, 1, nameof(options.TopK));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PrefetchBatches, 1, nameof(options.PrefetchBatches));
        ArgumentOutOfRangeException.ThrowIfNegative(options.DecodeThreads, nameof(options.DecodeThreads));
        _engine = engine;
        _ownsEngine = ownsEngine;
        PreprocessingOptions defaults = PreprocessingOptions.Cifar10 with { Width = engine.Input.Width, Height = engine.Input.Height };
        _preprocessor = preprocessor ?? new CpuPreprocessor(options.Preprocessing?.LayeredOver(defaults) ?? defaults, engine.Input);
        _postprocessor = new Postprocessor(engine.OutputLength, options.Labels, options.TopK, options.OutputKind ?? OutputKind.Logits);
        _prefetch = options.PrefetchBatches;
        _decode = (options.Decode ?? DecodeOptions.Default) with
        {
            TargetWidth = engine.Input.Width,
            TargetHeight = engine.Input.Height,
            KeepJpegEncoded = _preprocessor is IEncodedJpegConsumer { TakesEncodedJpeg: true },
        };
        _decodeThreads = options.DecodeThreads == 0 ? Environment.ProcessorCount : options.DecodeThreads;
        _decode.Validate();
        _logger = options.LoggerFactory?.CreateLogger<ImageClassifier>() ?? NullLogger<ImageClassifier>.Instance;
        LogCreated(_logger, engine.Name, engine.Input.Name, engine.Input.ElementType, engine.MaxBatchSize, _preprocessor.Options);
    }

    /// <summary>
    /// Creates a classifier over an engine, filling what the options leave unset from the model's
    /// manifest: preprocessing (the options' fields over the manifest's section over the CIFAR-10
    /// convention at the engine's input size, field by field, so a partial section never wipes the
    /// rest; raw pixels when the model fuses it) and labels (their count checked against
    /// the model's outputs).
    /// The classifier owns the engine; the engine is disposed if creation fails.
    /// </summary>
    /// <param name="engine">The engine.</param>
    /// <param name="options">Explicit options (they win over the manifest).</param>
    /// <param name="manifest">The model's manifest, if any.</param>
    /// <param name="preprocessor">Makes the preprocessor from the resolved options (default: the CPU one).</param>
    /// <returns>The classifier.</returns>
    public static ImageClassifier Create(IInferenceEngine engine, ClassifierOptions options, ModelManifest? manifest, Func<PreprocessingOptions, IImagePreprocessor>? preprocessor = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            PreprocessingOptions defaults = PreprocessingOptions.Cifar10 with { Width = engine.Input.Width, Height = engine.Input.Height };
            PreprocessingOptions fromModel = manifest?.HostPreprocessing(defaults) ?? defaults;
            PreprocessingOptions preprocessing = options.Preprocessing?.LayeredOver(fromModel) ?? fromModel;
            if (options.Labels is null)
            {
                manifest?.CheckLabels(engine.OutputLength);
            }

            return new ImageClassifier(
                engine,
                new ClassifierOptions
                {
                    Preprocessing = preprocessing,
                    Labels = options.Labels ?? manifest?.Labels,
                    OutputKind = options.OutputKind ?? manifest?.OutputKind,
                    TopK = options.TopK,
                    PrefetchBatches = options.PrefetchBatches,
                    DecodeThreads = options.DecodeThreads,
                    Decode = options.Decode,
                    LoggerFactory = options.LoggerFactory,
                },
                ownsEngine: true,
                preprocessor?.Invoke(preprocessing));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Labels => _postprocessor.Labels;

    /// <inheritdoc />
    public PreprocessingOptions Preprocessing => _preprocessor.Options;

    /// <inheritdoc />
    public string EngineName => _engine.Name;

    /// <inheritdoc />
    public string PreprocessorName => _preprocessor.Name;

    /// <inheritdoc />
    public int BatchSize => _engine.MaxBatchSize;

    /// <summary>Threads decoding inputs ahead of preprocessing.</summary>
    public int DecodeThreads => _decodeThreads;

    /// <summary>The engine this classifier runs on.</summary>
    public IInferenceEngine Engine => _engine;

    /// <inheritdoc />
    public IReadOnlyList<Prediction> Classify(IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ClassifyAsync(inputs, progress, cancellationToken).ToBlockingEnumerable(cancellationToken).ToList();

    /// <inheritdoc />
    public Prediction Classify(ReadOnlySpan<byte> rgb24, int width, int height, string name = "pixels") =>
        Classify([ImageInput.FromPixels(rgb24, width, height, name)])[0];

    /// <inheritdoc />
    public async IAsyncEnumerable<Prediction> ClassifyAsync(
        IEnumerable<ImageInput> inputs,
        IProgress<ClassificationProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int? total = inputs.TryGetNonEnumeratedCount(out int n) ? n : null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Channel<PreparedBatch> channel = Channel.CreateBounded<PreparedBatch>(
            new BoundedChannelOptions(Math.Max(_prefetch, _engine.MaxConcurrentBatches)) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        Task producer = Task.Run(() => ProduceAsync(inputs, channel.Writer, stop.Token), CancellationToken.None);
        int completed = 0;
        int failed = 0;
        bool finished = false;
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = SimClrV2Telemetry.Source.StartActivity(SimClrV2Telemetry.RunActivityName);
        activity?.SetTag("simclrv2.engine", _engine.Name);
        activity?.SetTag("simclrv2.batch_size", _engine.MaxBatchSize);
        int parallel = Math.Max(1, _engine.MaxConcurrentBatches);
        var inFlight = new Queue<(PreparedBatch Batch, Task<InferenceOutcome> Outcome)>();
        ChannelReader<PreparedBatch> reader = channel.Reader;
        bool open = true;
        Task<bool>? pendingRead = null;
        BatchLaunchers<InferenceOutcome>? launchers = parallel > 1 ? new(parallel) : null;
        try
        {
            while (open || inFlight.Count > 0)
            {
                if (parallel > 1)
                {
                    // Several devices: a device freed by ANY batch gets the next one at once, while
                    // results still leave in input order (a finished batch waits behind a slower older
                    // one; at most 2 x devices batches are out). Each batch waits on its device from
                    // one of the run's launcher threads (Run blocks until the device is done).
                    if (pendingRead is { IsCompleted: true })
                    {
                        open = await pendingRead.ConfigureAwait(false);
                        pendingRead = null;
                    }

                    int running = inFlight.Count(f => !f.Outcome.IsCompleted);
                    while (open && running < parallel && inFlight.Count < 2 * parallel && pendingRead is null && reader.TryRead(out PreparedBatch? next))
                    {
                        inFlight.Enqueue((next, launchers!.Run(() => Infer(next))));
                        running++;
                    }

                    if (inFlight.Count == 0 || !inFlight.Peek().Outcome.IsCompleted)
                    {
                        var waits = new List<Task>(parallel + 1);
                        if (open && running < parallel && inFlight.Count < 2 * parallel)
                        {
                            pendingRead ??= reader.WaitToReadAsync(cancellationToken).AsTask();
                            waits.Add(pendingRead);
                        }

                        waits.AddRange(inFlight.Where(f => !f.Outcome.IsCompleted).Select(f => (Task)f.Outcome));
                        if (waits.Count > 0)
                        {
                            await Task.WhenAny(waits).ConfigureAwait(false);
                        }

                        continue;
                    }
                }
                else if (open && inFlight.Count == 0)
                {
                    // One device: prepare-ahead happens in the producer; inference runs here.
                    open = await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                    if (open && reader.TryRead(out PreparedBatch? next))
                    {
                        inFlight.Enqueue((next, Task.FromResult(Infer(next))));
                    }

                    continue;
                }

                (PreparedBatch batch, Task<InferenceOutcome> outcome) = inFlight.Dequeue();
                Prediction[] predictions;
                try
                {
                    predictions = Postprocess(batch, await outcome.ConfigureAwait(false));
                }
                finally
                {
                    Return(batch);
                }

                foreach (Prediction prediction in predictions)
                {
                    failed += prediction.Succeeded ? 0 : 1;
                    SimClrV2Telemetry.Record(prediction, _engine.Name);
                    yield return prediction;
                }

                completed += predictions.Length;
                progress?.Report(new ClassificationProgress(completed, total));
            }

            await producer.ConfigureAwait(false);
            finished = true;
        }
        finally
        {
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            LogRunCompleted(_logger, completed, failed, seconds, seconds > 0 ? completed / seconds : 0, _engine.Name, finished ? string.Empty : " (ended early: cancelled, disposed or stopped by the caller)");
            activity?.SetTag("simclrv2.images", completed);
            activity?.SetTag("simclrv2.failures", failed);
            activity?.SetStatus(finished ? ActivityStatusCode.Ok : ActivityStatusCode.Error, finished ? null : "the run ended before all inputs were classified");
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled because the consumer stopped, or a failure the channel already
                // surfaced to the consumer; either way nothing more to report here.
            }

            while (inFlight.TryDequeue(out (PreparedBatch Batch, Task<InferenceOutcome> Outcome) left))
            {
                await ((Task)left.Outcome).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                Return(left.Batch);
            }

            launchers?.Dispose();
            if (pendingRead is not null)
            {
                // The producer has ended and completed the channel, so this wait is over too.
                await ((Task)pendingRead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            while (channel.Reader.TryRead(out PreparedBatch? unread))
            {
                Return(unread);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsEngine)
        {
            _engine.Dispose();
        }
    }

    /// <summary>
    /// Reads the inputs in order, decodes up to <see cref="DecodeThreads"/> of them at once on the
    /// thread pool (a window in input order, so at most that many decoded images wait), and
    /// preprocesses each, in order, into the next slot of the current batch; full batches go to
    /// the channel.
    /// </summary>
    private async Task ProduceAsync(IEnumerable<ImageInput> inputs, ChannelWriter<PreparedBatch> writer, CancellationToken cancellationToken)
    {
        PreparedBatch? current = null;
        var window = new Queue<(ImageInput Input, int Index, Task<Decoded> Decoding)>();
        try
        {
            int index = 0;
            using IEnumerator<ImageInput> enumerator = inputs.GetEnumerator();
            bool more = true;
            while (more || window.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (more && window.Count < _decodeThreads)
                {
                    ImageInput input;
                    try
                    {
                        more = enumerator.MoveNext();
                        input = more ? enumerator.Current ?? ImageInput.FromError($"input #{index}", $"input {index} is null", PredictionErrorKind.InvalidInput) : null!;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The caller's sequence failed: everything before it is kept, and the failure
                        // itself becomes one error entry in its place.
                        LogInputsFailed(_logger, index, ex);
                        input = ImageInput.FromError($"input #{index}", $"reading the inputs failed after {index} input(s): {ex.Message}", PredictionErrorKind.InvalidInput);
                        more = false;
                        window.Enqueue((input, index++, Task.FromResult(Decode(input, cancellationToken))));
                        continue;
                    }

                    if (more)
                    {
                        int i = index++;
                        window.Enqueue((input, i, _decodeThreads == 1 ? Task.FromResult(Decode(input, cancellationToken)) : Task.Run(() => Decode(input, cancellationToken), cancellationToken)));
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
                Return(current);
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

    /// <summary>A batch over a rented buffer; when renting fails (device memory, say), a buffer-less batch whose inputs become error entries, so the run goes on.</summary>
    private PreparedBatch RentBatch()
    {
        try
        {
            return new PreparedBatch(_engine.RentBatch());
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
        {
            LogRentFailed(_logger, ex);
            return new PreparedBatch(_engine.MaxBatchSize, $"no batch buffer for this input: {ex.Message}");
        }
    }

    private void Return(PreparedBatch batch)
    {
        if (batch.Buffer is not null)
        {
            _engine.ReturnBatch(batch.Buffer);
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
            DecodedImage image = input.Decode(_decode);
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
            LogInputFailed(_logger, input.Name, decoded.Error!);
            batch.AddError(input, index, decoded.Error!, decoded.ErrorKind, decoded.DecodeMs, 0);
            return;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            _preprocessor.Process(image, batch.Buffer, batch.SlotCount);
            batch.AddImage(input, index, decoded.DecodeMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogInputFailed(_logger, input.Name, ex.Message);
            batch.AddError(input, index, ex.Message, PredictionErrorKind.Preprocessing, decoded.DecodeMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private InferenceOutcome Infer(PreparedBatch batch)
    {
        if (batch.SlotCount == 0 || batch.Buffer is null)
        {
            return default;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            _engine.Run(batch.Buffer, batch.SlotCount);
            return new InferenceOutcome(Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch.SlotCount, batch.Buffer.ComputeMs / batch.SlotCount, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
        {
            LogBatchFailed(_logger, batch.SlotCount, ex);
            return new InferenceOutcome(Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch.SlotCount, 0, $"inference failed: {ex.Message}");
        }
    }

    private Prediction[] Postprocess(PreparedBatch batch, InferenceOutcome outcome)
    {
        (double inferenceMs, double computeMs, string? failure) = outcome;
        var predictions = new Prediction[batch.Entries.Count];
        for (int i = 0; i < predictions.Length; i++)
        {
            PreparedBatch.Entry entry = batch.Entries[i];
            int? expected = entry.Input.LabelIndex;
            string? error = entry.Error ?? (entry.Slot >= 0 ? failure : null);
            if (error is not null)
            {
                predictions[i] = new Prediction
                {
                    Source = entry.Input.Name,
                    InputIndex = entry.InputIndex,
                    ExpectedClassIndex = expected,
                    Error = error,
                    ErrorKind = entry.Error is null ? PredictionErrorKind.Inference : entry.ErrorKind,
                    Timings = new StageTimings(entry.DecodeMs, entry.PreprocessMs, entry.Slot >= 0 ? inferenceMs : 0, 0),
                };
                continue;
            }

            long start = Stopwatch.GetTimestamp();
            ReadOnlySpan<float> row = batch.Buffer!.OutputRow(entry.Slot);
            // Once per classifier: a plain read on every later row, no interlocked operation.
            if (_postprocessor.OutputKind == OutputKind.Logits && Volatile.Read(ref _outputChecked) == 0
                && Interlocked.Exchange(ref _outputChecked, 1) == 0 && Postprocessor.LooksLikeProbabilities(row))
            {
                LogOutputsLookLikeProbabilities(_logger);
            }

            Prediction p = _postprocessor.Create(
                row,
                entry.Input.Name,
                entry.InputIndex,
                expected,
                new StageTimings(entry.DecodeMs, entry.PreprocessMs, inferenceMs, 0) { ComputeMs = computeMs });
            p.Timings = p.Timings with { PostprocessMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds };
            predictions[i] = p;
        }

        return predictions;
    }

    /// <summary>One decoded input: the image, or why it failed, and the decode time.</summary>
    private readonly record struct Decoded(DecodedImage? Image, string? Error, PredictionErrorKind ErrorKind, double DecodeMs);

    /// <summary>The result of running one batch: inference time per image, or why it failed.</summary>
    private readonly record struct InferenceOutcome(double InferenceMs, double ComputeMs, string? Failure);

    [LoggerMessage(EventId = SimClrV2EventIds.ClassifierCreated, Level = LogLevel.Information, Message = "Classifier on {Engine}: input '{Input}' {ElementType}, batch {Batch}, preprocessing {Preprocessing}")]
    private static partial void LogCreated(ILogger logger, string engine, string input, TensorElementType elementType, int batch, PreprocessingOptions preprocessing);

    [LoggerMessage(EventId = SimClrV2EventIds.OutputsLookLikeProbabilities, Level = LogLevel.Warning, Message = "The model's outputs already sum to 1 (in [0, 1]); if it ends in softmax, set outputKind to probabilities in its manifest (or ClassifierOptions.OutputKind), or every score is softmaxed twice")]
    private static partial void LogOutputsLookLikeProbabilities(ILogger logger);

    [LoggerMessage(EventId = SimClrV2EventIds.InputFailed, Level = LogLevel.Warning, Message = "Input '{Input}' failed: {Reason}")]
    private static partial void LogInputFailed(ILogger logger, string input, string reason);

    [LoggerMessage(EventId = SimClrV2EventIds.InputSequenceFailed, Level = LogLevel.Error, Message = "Reading the inputs failed after {Count} input(s); the results so far are kept")]
    private static partial void LogInputsFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.BatchBufferFailed, Level = LogLevel.Error, Message = "No batch buffer could be rented; the inputs of this batch become error entries")]
    private static partial void LogRentFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.InferenceFailed, Level = LogLevel.Error, Message = "Inference of a batch of {Count} failed")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.RunCompleted, Level = LogLevel.Information, Message = "Classified {Count} input(s) ({Failed} failed) in {Seconds:F2} s, {Rate:F1} images/s, on {Engine}{Ending}")]
    private static partial void LogRunCompleted(ILogger logger, int count, int failed, double seconds, double rate, string engine, string ending);
}
