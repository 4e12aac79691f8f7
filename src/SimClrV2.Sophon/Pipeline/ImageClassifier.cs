using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
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
/// The classifier over any <see cref="IInferenceEngine"/>, as a channel pipeline: the input stage
/// (<see cref="BatchProducer"/>) reads the inputs in order, decodes them on <see cref="DecodeThreads"/>
/// threads ahead of itself and preprocesses them straight into engine-owned batch buffers; the
/// inference stage (<see cref="BatchScheduler"/>) keeps up to one batch per device running, each
/// completed by its engine; the caller's enumeration postprocesses them in input order. No thread
/// waits on another. Engine packages derive from it (<c>OnnxImageClassifier</c>, <c>SophonImageClassifier</c>).
/// </summary>
public class ImageClassifier : IImageClassifier
{
    private readonly IInferenceEngine _engine;
    private readonly bool _ownsEngine;
    private readonly IImagePreprocessor _preprocessor;
    private readonly ClassifierSettings _settings;
    private readonly BatchProducer _producer;
    private readonly BatchScheduler _scheduler;
    private readonly RunGate _engineRuns;
    private readonly BatchPostprocessor _postprocessor;
    private readonly object _lock = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _runsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runs;
    private bool _disposed;

    /// <summary>
    /// Creates a classifier that owns <paramref name="engine"/> (for engines written against the
    /// <c>SimClrV2.Sophon.Infer</c> contract), filling what the options leave unset from the model's
    /// manifest: preprocessing (the options' fields over the manifest's section over the CIFAR-10
    /// convention at the engine's input size, field by field, so a partial section never wipes the
    /// rest; raw pixels when the model fuses it) and labels (their count checked against the model's
    /// outputs). The engine is disposed when this constructor throws.
    /// </summary>
    /// <param name="engine">The engine (owned: disposing the classifier disposes it).</param>
    /// <param name="options">Explicit options (they win over the manifest).</param>
    /// <param name="manifest">The model's manifest, if any.</param>
    /// <exception cref="ArgumentException">The options disagree with the engine (input size, label count).</exception>
    public ImageClassifier(IInferenceEngine engine, ClassifierOptions options, ModelManifest? manifest = null)
        : this(engine, options, manifest, preprocessor: null)
    {
    }

    /// <summary>As the public constructor, with a preprocessor made from the resolved preprocessing (null, or returning null: the CPU one).</summary>
    private protected ImageClassifier(IInferenceEngine engine, ClassifierOptions options, ModelManifest? manifest, Func<PreprocessingOptions, IImagePreprocessor?>? preprocessor)
        : this(engine, ResolveOrDispose(engine, options, manifest), ownsEngine: true, preprocessor ?? (_ => null))
    {
    }

    /// <summary>Over an engine with no manifest and a given preprocessor (tests, benchmarks).</summary>
    internal ImageClassifier(IInferenceEngine engine, ClassifierOptions options, bool ownsEngine, IImagePreprocessor? preprocessor)
        : this(engine, ClassifierSettings.Resolve(engine, options, null), ownsEngine, _ => preprocessor)
    {
    }

    private ImageClassifier(IInferenceEngine engine, ClassifierSettings settings, bool ownsEngine, Func<PreprocessingOptions, IImagePreprocessor?> preprocessor)
    {
        _engine = engine;
        _ownsEngine = ownsEngine;
        try
        {
            _preprocessor = preprocessor(settings.Preprocessing) ?? new CpuPreprocessor(settings.Preprocessing, engine.Input);
        }
        catch when (ownsEngine)
        {
            engine.Dispose();
            throw;
        }

        DecodeOptions decode = settings.Decode.Clone();
        decode.KeepJpegEncoded = _preprocessor is IEncodedJpegConsumer { TakesEncodedJpeg: true };
        _settings = settings with { Decode = decode };
        _producer = new BatchProducer(engine, _preprocessor, _settings.Decode, _settings.DecodeThreads, _settings.Logger);
        _engineRuns = new RunGate(this);
        _scheduler = new BatchScheduler(engine, _engineRuns, _settings.Logger);
        _postprocessor = new BatchPostprocessor(_settings.Postprocessor, engine.EmbeddingName, engine.EmbeddingLength, _settings.KnnHead, _settings.Logger);
        ClassifierLog.Created(_settings.Logger, engine.Name, engine.Input.Name, engine.Input.ElementType, engine.MaxBatchSize, _preprocessor.Options);
        ClassifierLog.ReportJpegDecoder(_settings.Logger);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Labels => _settings.KnnHead?.Classes ?? _settings.Postprocessor.Labels;

    /// <inheritdoc />
    public PreprocessingOverride Preprocessing => PreprocessingOverride.FromPreprocessingOptions(_preprocessor.Options);

    /// <inheritdoc />
    public string EngineName => _engine.Name;

    /// <inheritdoc />
    public string PreprocessorName => _preprocessor.Name;

    /// <inheritdoc />
    public int BatchSize => _engine.MaxBatchSize;

    /// <inheritdoc />
    public string? EmbeddingName => _engine.EmbeddingName;

    /// <summary>Threads decoding inputs ahead of preprocessing.</summary>
    public int DecodeThreads => _settings.DecodeThreads;

    /// <summary>The engine this classifier runs on.</summary>
    internal IInferenceEngine Engine => _engine;

    /// <inheritdoc />
    public IReadOnlyList<Prediction> Classify(IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ClassifyAsync(inputs, progress, cancellationToken).ToBlockingEnumerable(cancellationToken).ToList();

    /// <inheritdoc />
    public Prediction Classify(ReadOnlySpan<byte> rgb24, int width, int height, string name = "pixels", CancellationToken cancellationToken = default) =>
        Classify([ImageInput.FromPixels(rgb24, width, height, name)], null, cancellationToken)[0];

    // The extension overloads again, as members: a user who imports only the engine's namespace
    // (SimClrV2.Sophon.OnnxRuntime) does not see ImageClassifierExtensions.

    /// <summary>Classifies what the paths name: image files, folders (recursive), CIFAR-10 files; a missing path is an error entry (see <see cref="ImageClassifierExtensions.Classify(IImageClassifier, string[])"/>).</summary>
    /// <param name="paths">File or folder paths.</param>
    /// <returns>One prediction per image, in path order.</returns>
    public IReadOnlyList<Prediction> Classify(params string[] paths) => ImageClassifierExtensions.Classify(this, paths);

    /// <summary>Classifies one encoded image held in memory (see <see cref="ImageInput.FromBytes"/>); a corrupt image is an error entry.</summary>
    /// <param name="encoded">The encoded image (PNG, JPEG, ...).</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    public Prediction Classify(ReadOnlyMemory<byte> encoded, string name = "bytes", CancellationToken cancellationToken = default) =>
        ImageClassifierExtensions.Classify(this, encoded, name, cancellationToken);

    /// <summary>Classifies one encoded image held in an array (<c>classifier.Classify(File.ReadAllBytes("cat.jpg"))</c>).</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The prediction.</returns>
    public Prediction Classify(byte[] encoded, string name = "bytes", CancellationToken cancellationToken = default) =>
        ImageClassifierExtensions.Classify(this, encoded, name, cancellationToken);

    /// <summary>Streams the predictions for what one path names (a file, a folder, a CIFAR-10 file) as batches complete.</summary>
    /// <param name="path">A file or folder path.</param>
    /// <param name="progress">Receives progress after each batch; may be null.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The predictions, in path order.</returns>
    public IAsyncEnumerable<Prediction> ClassifyAsync(string path, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ImageClassifierExtensions.ClassifyAsync(this, path, progress, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<Prediction> ClassifyAsync(IEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return RunAsync(new SynchronousInputs(inputs), inputs.TryGetNonEnumeratedCount(out int n) ? n : null, progress, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<Prediction> ClassifyAsync(IAsyncEnumerable<ImageInput> inputs, IProgress<ClassificationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return RunAsync(inputs, null, progress, cancellationToken);
    }

    /// <summary>Stops runs in progress, then disposes the engine when the classifier owns it (its <c>Dispose</c> waits for batches still on a device).</summary>
    public void Dispose()
    {
        if (Close())
        {
            // Engines need not guard themselves: no engine call is in flight once the gate is closed.
            _engineRuns.Close();
            if (_ownsEngine)
            {
                _engine.Dispose();
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Stops runs in progress and waits for them to end without blocking a thread, then disposes the engine when the classifier owns it.</summary>
    /// <returns>Completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Close())
        {
            bool running;
            lock (_lock)
            {
                running = _runs > 0;
            }

            if (running)
            {
                await _runsEnded.Task.ConfigureAwait(false);
            }

            // Engines need not guard themselves: no engine call is in flight once the gate is closed.
            _engineRuns.Close();
            if (_ownsEngine)
            {
                _engine.Dispose();
            }
        }

        GC.SuppressFinalize(this);
    }

    private static ClassifierSettings ResolveOrDispose(IInferenceEngine engine, ClassifierOptions options, ModelManifest? manifest)
    {
        ArgumentNullException.ThrowIfNull(engine);
        try
        {
            return ClassifierSettings.Resolve(engine, options, manifest);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>Marks the classifier disposed and cancels its runs; true for the call that did it.</summary>
    private bool Close()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            if (_runs == 0)
            {
                _runsEnded.TrySetResult();
            }
        }

        _closing.Cancel();
        return true;
    }

    private void EnterRun()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _runs++;
        }
    }

    private void ExitRun()
    {
        lock (_lock)
        {
            if (--_runs == 0 && _disposed)
            {
                _runsEnded.TrySetResult();
            }
        }
    }

    /// <summary>
    /// One run: the input stage and the inference stage run as tasks joined by bounded channels;
    /// this enumeration postprocesses the batches in input order. Whatever way it ends (done,
    /// cancelled, disposed, the caller stops enumerating), every batch goes back to the engine.
    /// </summary>
    private async IAsyncEnumerable<Prediction> RunAsync(IAsyncEnumerable<ImageInput> inputs, int? total, IProgress<ClassificationProgress>? progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        EnterRun();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        Channel<PreparedBatch> prepared = Channel.CreateBounded<PreparedBatch>(
            new BoundedChannelOptions(Math.Max(_settings.PrefetchBatches, _scheduler.Parallel)) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        Channel<(PreparedBatch Batch, Task<InferenceOutcome> Outcome)> started = Channel.CreateBounded<(PreparedBatch, Task<InferenceOutcome>)>(
            new BoundedChannelOptions(_scheduler.Outstanding) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        Task producer = Task.Run(() => _producer.ProduceAsync(inputs, prepared.Writer, stop.Token), CancellationToken.None);
        Task scheduler = Task.Run(() => _scheduler.ScheduleAsync(prepared.Reader, started.Writer, stop.Token), CancellationToken.None);
        int completed = 0;
        int failed = 0;
        bool finished = false;
        long startTime = Stopwatch.GetTimestamp();
        using Activity? activity = SimClrV2Telemetry.Source.StartActivity(SimClrV2Telemetry.RunActivityName);
        activity?.SetTag("simclrv2.engine", _engine.Name);
        activity?.SetTag("simclrv2.batch_size", _engine.MaxBatchSize);
        try
        {
            while (await NextAsync(started.Reader, stop.Token, cancellationToken).ConfigureAwait(false) is { } predictions)
            {
                foreach (Prediction prediction in predictions)
                {
                    failed += prediction.Succeeded ? 0 : 1;
                    SimClrV2Telemetry.Record(prediction, _engine.Name);
                    yield return prediction;
                }

                completed += predictions.Length;
                progress?.Report(new ClassificationProgress(completed, total));
            }

            await Task.WhenAll(producer, scheduler).ConfigureAwait(false);
            finished = true;
        }
        finally
        {
            double seconds = Stopwatch.GetElapsedTime(startTime).TotalSeconds;
            ClassifierLog.RunCompleted(_settings.Logger, completed, failed, seconds, seconds > 0 ? completed / seconds : 0, _engine.Name, finished ? string.Empty : " (ended early: cancelled, disposed or stopped by the caller)");
            activity?.SetTag("simclrv2.images", completed);
            activity?.SetTag("simclrv2.failures", failed);
            activity?.SetStatus(finished ? ActivityStatusCode.Ok : ActivityStatusCode.Error, finished ? null : "the run ended before all inputs were classified");
            await stop.CancelAsync().ConfigureAwait(false);

            // Cancelled because the run stopped, or a failure the channels already surfaced here.
            await Task.WhenAll(producer, scheduler).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (started.Reader.TryRead(out (PreparedBatch Batch, Task<InferenceOutcome> Outcome) left))
            {
                await ((Task)left.Outcome).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                BatchProducer.Return(_engine, left.Batch);
            }

            while (prepared.Reader.TryRead(out PreparedBatch? unread))
            {
                BatchProducer.Return(_engine, unread);
            }

            ExitRun();
        }
    }

    /// <summary>
    /// The next batch's predictions, in input order (its buffer back to the engine), or null at the
    /// end. A run stopped by <see cref="Dispose"/> ends with <see cref="ObjectDisposedException"/>;
    /// one stopped by the caller's token with <see cref="OperationCanceledException"/>.
    /// </summary>
    private async ValueTask<Prediction[]?> NextAsync(ChannelReader<(PreparedBatch Batch, Task<InferenceOutcome> Outcome)> reader, CancellationToken stop, CancellationToken caller)
    {
        try
        {
            (PreparedBatch Batch, Task<InferenceOutcome> Outcome) next;
            while (!reader.TryRead(out next))
            {
                if (!await reader.WaitToReadAsync(stop).ConfigureAwait(false))
                {
                    return null;
                }
            }

            try
            {
                return _postprocessor.Create(next.Batch, await next.Outcome.ConfigureAwait(false));
            }
            finally
            {
                BatchProducer.Return(_engine, next.Batch);
            }
        }
        catch (OperationCanceledException ex) when (!caller.IsCancellationRequested && _closing.IsCancellationRequested)
        {
            throw new ObjectDisposedException($"The classifier was disposed while it classified ({ex.Message}).", ex);
        }
    }

    /// <summary>A caller's synchronous sequence read by the input stage (enumerated on its task, as before).</summary>
    private sealed class SynchronousInputs(IEnumerable<ImageInput> inputs) : IAsyncEnumerable<ImageInput>
    {
        public IAsyncEnumerator<ImageInput> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(inputs.GetEnumerator());

        private sealed class Enumerator(IEnumerator<ImageInput> inner) : IAsyncEnumerator<ImageInput>
        {
            public ImageInput Current => inner.Current;

            public ValueTask<bool> MoveNextAsync() => ValueTask.FromResult(inner.MoveNext());

            public ValueTask DisposeAsync()
            {
                inner.Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
