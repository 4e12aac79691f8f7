namespace SimClrV2.Sophon.Infer;

/// <summary>
/// Counts an engine's runs in flight so that disposal waits for them instead of freeing native
/// memory under a running network. <see cref="Enter"/> at the start of every run (it refuses once
/// the gate is closed), <see cref="Exit"/> when the run ends, and <see cref="Close"/> first thing in
/// the engine's <c>Dispose</c>. Thread-safe.
/// </summary>
internal sealed class RunGate
{
    private readonly object _lock = new();
    private readonly object _owner;
    private int _active;
    private bool _closed;

    /// <summary>Creates an open gate.</summary>
    /// <param name="owner">The engine, named in <see cref="ObjectDisposedException"/>s.</param>
    public RunGate(object owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        _owner = owner;
    }

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Runs in flight.</summary>
    public int Active
    {
        get
        {
            lock (_lock)
            {
                return _active;
            }
        }
    }

    /// <summary>Starts a run; call <see cref="Exit"/> when it ends (in a <c>finally</c>).</summary>
    /// <exception cref="ObjectDisposedException">The gate is closed (the engine is disposed or being disposed).</exception>
    public void Enter()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, _owner);
            _active++;
        }
    }

    /// <summary>Ends a run started with <see cref="Enter"/>.</summary>
    /// <exception cref="InvalidOperationException">No run is in flight.</exception>
    public void Exit()
    {
        lock (_lock)
        {
            if (_active == 0)
            {
                throw new InvalidOperationException("RunGate.Exit without a matching Enter.");
            }

            if (--_active == 0 && _closed)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Refuses new runs and waits until the runs in flight ended.</summary>
    /// <returns>True for the call that closed the gate; false when it was already closed (so <c>Dispose</c> can be idempotent).</returns>
    public bool Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            while (_active > 0)
            {
                Monitor.Wait(_lock);
            }

            return true;
        }
    }
}
