namespace SimClrV2.Sophon.Infer;

/// <summary>
/// The batch buffers of one engine: created on demand, reused, and all released when the engine is
/// disposed (idle or still rented). It holds no thread-local state, so a disposed engine and its
/// buffers become unreachable at once. Engines use it to implement <see cref="IInferenceEngine.RentBatch"/>
/// and <see cref="IInferenceEngine.ReturnBatch"/>. Thread-safe.
/// </summary>
/// <typeparam name="TBatch">The engine's batch type.</typeparam>
public sealed class InferenceBatchPool<TBatch> : IDisposable
    where TBatch : InferenceBatch, IDisposable
{
    private readonly Func<TBatch> _create;
    private readonly object _owner;
    private readonly object _lock = new();
    private readonly Stack<TBatch> _idle = new();
    private readonly List<TBatch> _all = new();
    private bool _disposed;

    /// <summary>Creates an empty pool.</summary>
    /// <param name="create">Makes a new batch when none is idle (called outside the pool's lock).</param>
    /// <param name="owner">The engine, named in <see cref="ObjectDisposedException"/>s.</param>
    public InferenceBatchPool(Func<TBatch> create, object owner)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(owner);
        _create = create;
        _owner = owner;
    }

    /// <summary>Batches created so far (idle and rented).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>An idle batch, or a new one.</summary>
    /// <returns>The batch; give it back with <see cref="Return"/>.</returns>
    /// <exception cref="ObjectDisposedException">The pool (its engine) was disposed.</exception>
    public TBatch Rent()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, _owner);
            if (_idle.TryPop(out TBatch? idle))
            {
                return idle;
            }
        }

        TBatch batch = _create();
        lock (_lock)
        {
            if (!_disposed)
            {
                _all.Add(batch);
                return batch;
            }
        }

        batch.Dispose();
        throw new ObjectDisposedException(_owner.GetType().FullName);
    }

    /// <summary>Makes a rented batch idle again. After disposal this does nothing (the batch was released then).</summary>
    /// <param name="batch">A batch from <see cref="Rent"/>.</param>
    /// <exception cref="InvalidOperationException">The batch is already idle (returned twice) or did not come from this pool.</exception>
    public void Return(TBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_all.Contains(batch) || _idle.Contains(batch))
            {
                throw new InvalidOperationException("The batch was returned twice, or was not rented from this engine; return each rented batch exactly once.");
            }

            _idle.Push(batch);
        }
    }

    /// <summary>Releases every batch the pool created, idle or rented. Call it once no run uses them (see <see cref="RunGate"/>).</summary>
    public void Dispose()
    {
        TBatch[] all;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _all];
            _all.Clear();
            _idle.Clear();
        }

        foreach (TBatch batch in all)
        {
            batch.Dispose();
        }
    }
}
