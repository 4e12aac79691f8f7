using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// One dedicated OS thread that owns every native call for one device's runtime: creation, launch
/// and <c>bm_thread_sync</c> (which only waits for work launched by the calling OS thread), and
/// teardown. Batch runs are posted (<see cref="Post"/>) and the worker completes each one when the
/// device is done, so no other thread waits on this one; setup and teardown use <see cref="Invoke{T}"/>,
/// which waits. Batch runs use pooled work items, so the hand-off allocates nothing in steady state.
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

        using var item = new FuncItem<T>(work);
        Post(item);
        item.Done.Wait();
        item.Error?.Throw();
        return item.Result!;
    }

    /// <summary>Queues an item; the worker thread executes it and then calls its <see cref="WorkItem.Complete"/>.</summary>
    /// <exception cref="ObjectDisposedException">The worker was stopped (the engine is disposed).</exception>
    public void Post(WorkItem item)
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
            ExceptionDispatchInfo? error = null;
            try
            {
                item.Execute();
            }
#pragma warning disable CA1031 // every failure goes back to whoever posted the item
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }

            Interlocked.Decrement(ref _pending);
            item.Complete(error);
        }
    }

    /// <summary>Work for the worker thread.</summary>
    internal abstract class WorkItem
    {
        /// <summary>Runs on the worker thread.</summary>
        public abstract void Execute();

        /// <summary>Called on the worker thread after <see cref="Execute"/>, with its failure or null; must not throw.</summary>
        public abstract void Complete(ExceptionDispatchInfo? error);
    }

    private sealed class FuncItem<T>(Func<T> work) : WorkItem, IDisposable
    {
        public ManualResetEventSlim Done { get; } = new();

        public ExceptionDispatchInfo? Error { get; private set; }

        public T? Result { get; private set; }

        public override void Execute() => Result = work();

        public override void Complete(ExceptionDispatchInfo? error)
        {
            Error = error;
            Done.Set();
        }

        public void Dispose() => Done.Dispose();
    }
}
