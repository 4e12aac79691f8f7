using System.Collections.Concurrent;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>
/// A deterministic engine for pipeline tests: 4x4 float input; the logits peak at class
/// round(first value of plane 0 / 20), so a solid image with red = 20 x k is classified as k.
/// Records every run and every rent/return so tests can check batching and buffer hygiene.
/// </summary>
internal sealed class FakeEngine(int batchSize, bool fixedBatch = false) : IInferenceEngine
{
    private readonly ConcurrentBag<Batch> _pool = new();
    private int _rented;

    /// <summary>Preprocessing that keeps pixel values as they are, so red = 20 x k reaches the engine as 20 x k.</summary>
    public static PreprocessingOptions Raw { get; } = new() { Width = 4, Height = 4, Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };

    /// <summary><see cref="Raw"/> as the classifier options' override (every field given).</summary>
    public static PreprocessingOverride RawOverride => PreprocessingOverride.FromPreprocessingOptions(Raw);

    public string Name => "fake";

    public EngineInput Input { get; } = new("x", TensorElementType.Float32, 3, 4, 4);

    public int OutputLength => 10;

    public int MaxBatchSize => batchSize;

    public bool IsBatchSizeFixed => fixedBatch;

    public ConcurrentQueue<int> RunCounts { get; } = new();

    public int Outstanding => Volatile.Read(ref _rented);

    public Func<int, Exception?>? FailRun { get; set; }

    /// <summary>Fails the Nth rent (1-based count of rents so far) when it returns an exception.</summary>
    public Func<int, Exception?>? FailRent { get; set; }

    /// <summary>Images of this class get NaN logits (a model that overflows on some inputs).</summary>
    public int? NanForClass { get; set; }

    private int _rents;

    public TimeSpan RunDelay { get; set; }

    /// <summary>Output probabilities (softmax of the logits) instead of logits: a model that ends in softmax.</summary>
    public bool Probabilities { get; set; }

    public bool Disposed { get; private set; }

    public InferenceBatch RentBatch()
    {
        if (FailRent?.Invoke(Interlocked.Increment(ref _rents)) is Exception ex)
        {
            throw ex;
        }

        Interlocked.Increment(ref _rented);
        return _pool.TryTake(out Batch? b) ? b : new Batch(this);
    }

    public void ReturnBatch(InferenceBatch batch)
    {
        Interlocked.Decrement(ref _rented);
        _pool.Add((Batch)batch);
    }

    /// <summary>Batches that may run at once (<see cref="IInferenceEngine.MaxConcurrentBatches"/>), like devices.</summary>
    public int Devices { get; init; } = 1;

    public int MaxConcurrentBatches => Devices;

    /// <summary>
    /// RunAsync returns at once and a timer completes the run after <see cref="RunDelay"/>, as a
    /// device's worker does; the synchronous <see cref="Run"/> then counts as a misuse (<see cref="SyncRuns"/>).
    /// </summary>
    public bool CompleteFromDevice { get; init; }

    /// <summary>Calls of the synchronous <see cref="Run"/>.</summary>
    public int SyncRuns => Volatile.Read(ref _syncRuns);

    /// <summary>The most runs in flight at once (RunAsync started, not completed).</summary>
    public int PeakRunning => Volatile.Read(ref _peak);

    private int _syncRuns;
    private int _computing;
    private int _running;
    private int _peak;

    public ValueTask RunAsync(InferenceBatch batch, int count, CancellationToken cancellationToken = default)
    {
        if (!CompleteFromDevice)
        {
            Compute(batch, count);
            return ValueTask.CompletedTask;
        }

        int running = Interlocked.Increment(ref _running);
        for (int peak = _peak; running > peak && Interlocked.CompareExchange(ref _peak, running, peak) != peak; peak = _peak)
        {
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Delay(RunDelay, CancellationToken.None).ContinueWith(
            _ =>
            {
                try
                {
                    Interlocked.Decrement(ref _running);
                    Calculate(batch, count);
                    done.SetResult();
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
        return new ValueTask(done.Task);
    }

    public void Run(InferenceBatch batch, int count)
    {
        Interlocked.Increment(ref _syncRuns);
        Compute(batch, count);
    }

    private void Compute(InferenceBatch batch, int count)
    {
        Interlocked.Increment(ref _computing);
        try
        {
            if (RunDelay > TimeSpan.Zero)
            {
                Thread.Sleep(RunDelay);
            }

            Calculate(batch, count);
        }
        finally
        {
            Interlocked.Decrement(ref _computing);
        }
    }

    private void Calculate(InferenceBatch batch, int count)
    {
        RunCounts.Enqueue(count);
        if (FailRun?.Invoke(RunCounts.Count) is Exception ex)
        {
            throw ex;
        }

        Span<float> input = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(batch.InputBytes);
        for (int slot = 0; slot < (fixedBatch ? batch.Capacity : count); slot++)
        {
            float k = input[slot * 48] / 20f;
            Span<float> row = batch.Outputs.Slice(slot * 10, 10);
            for (int c = 0; c < 10; c++)
            {
                row[c] = (int)MathF.Round(k) == NanForClass ? float.NaN : -Math.Abs(c - k) * 10f;
            }

            if (Probabilities)
            {
                System.Numerics.Tensors.TensorPrimitives.SoftMax(row, row);
            }
        }
    }

    /// <summary>Solid 4x4 images that this engine classifies as the given classes, named img0, img1, ...</summary>
    public static List<ImageInput> Images(params int[] classes) =>
        classes.Select((k, i) => TestData.SolidImage($"img{i}", 4, 4, (byte)(k * 20), 0, 0)).ToList();

    /// <summary>Synchronous computations in flight.</summary>
    public int Computing => Volatile.Read(ref _computing);

    /// <summary>True when <see cref="Dispose"/> was called while a synchronous computation was in flight (a use-after-free on a real engine).</summary>
    public bool DisposedDuringRun { get; private set; }

    public void Dispose()
    {
        DisposedDuringRun |= Volatile.Read(ref _computing) > 0;
        Disposed = true;
    }

    private sealed class Batch(FakeEngine e) : InferenceBatch(e.Input, e.MaxBatchSize, e.OutputLength)
    {
        private readonly byte[] _input = new byte[e.MaxBatchSize * e.Input.BytesPerImage];
        private readonly float[] _output = new float[e.MaxBatchSize * e.OutputLength];

        public override Span<byte> InputBytes => _input;

        public override Span<float> Outputs => _output;
    }
}
