using System.Collections.Concurrent;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// Threads that hand batches to an engine with several devices for one run. The engine's Run blocks
/// until its device is done, so each device needs a thread waiting on it: these few live for the run,
/// so no thread is created per batch and no thread-pool thread is blocked (blocked pool threads
/// starve the pool, which adds threads slowly, and the devices idle).
/// </summary>
/// <typeparam name="T">What one batch's work returns.</typeparam>
internal sealed class BatchLaunchers<T> : IDisposable
{
    private readonly BlockingCollection<(Func<T> Work, TaskCompletionSource<T> Done)> _queue = new();
    private readonly Thread[] _threads;

    /// <summary>Starts <paramref name="count"/> threads.</summary>
    public BatchLaunchers(int count)
    {
        _threads = [.. Enumerable.Range(0, count).Select(i => new Thread(Loop) { IsBackground = true, Name = $"simclrv2-launch-{i}" })];
        foreach (Thread thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the next free launcher thread.</summary>
    public Task<T> Run(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((work, done));
        return done.Task;
    }

    /// <summary>Lets the threads finish the queued work and end.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (Thread thread in _threads)
        {
            thread.Join();
        }

        _queue.Dispose();
    }

    private void Loop()
    {
        foreach ((Func<T> work, TaskCompletionSource<T> done) in _queue.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }
}
