using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// One dedicated OS thread that owns every native call for one device's runtime: creation, launch
/// and <c>bm_thread_sync</c> (which only waits for work launched by the calling OS thread), and
/// teardown. Callers block until their item ran; exceptions are rethrown on the caller's thread.
/// Batch runs use pooled work items, so the hand-off allocates nothing in steady state.
/// </summary>
internal sealed class SophonWorker : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = new();
    private readonly Thread _thread;
    private int _pending;

    public SophonWorker(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Items queued or running.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The worker's managed thread id (for tests of thread affinity).</summary>
    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Runs work on the worker thread and waits for it (setup and teardown; allocates).</summary>
    public T Invoke<T>(Func<T> work)
    {
        if (Environment.CurrentManagedThreadId == _thread.ManagedThreadId)
        {
            return work();
        }

        var item = new FuncItem<T>(work);
        try
        {
            Run(item);
            return item.Result!;
        }
        finally
        {
            item.Dispose();
        }
    }

    /// <summary>Queues an item, waits until it ran on the worker thread, rethrows its failure.</summary>
    public void Run(WorkItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Interlocked.Increment(ref _pending);
        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Decrement(ref _pending);
            throw new ObjectDisposedException(nameof(SophonEngine), "The SOPHON engine was disposed.");
        }

        item.Done.Wait();
        item.Done.Reset();
        ExceptionDispatchInfo? error = item.Error;
        item.Error = null;
        error?.Throw();
    }

    /// <summary>Runs the remaining work, then stops the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (Environment.CurrentManagedThreadId != _thread.ManagedThreadId)
        {
            _thread.Join();
        }

        _queue.Dispose();
    }

    private void Loop()
    {
        foreach (WorkItem item in _queue.GetConsumingEnumerable())
        {
            try
            {
                item.Execute();
            }
#pragma warning disable CA1031 // every failure goes back to the caller's thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                item.Error = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
                item.Done.Set();
            }
        }
    }

    /// <summary>Work for the worker thread; reusable (the event is reset after each run).</summary>
    internal abstract class WorkItem : IDisposable
    {
        public ManualResetEventSlim Done { get; } = new();

        public ExceptionDispatchInfo? Error { get; set; }

        public abstract void Execute();

        public void Dispose() => Done.Dispose();
    }

    private sealed class FuncItem<T>(Func<T> work) : WorkItem
    {
        public T? Result { get; private set; }

        public override void Execute() => Result = work();
    }
}
