namespace Kekbit.Reactive.Internal;

/// <summary>
/// The pending operations of one kind of a <see cref="ReaderChannel"/>, in arrival order, and the pool they are
/// rented from. Every member runs under the channel's lock except <see cref="Unlink"/> and <see cref="Return"/>,
/// which take it: they are called by a cancellation callback and by an awaiter taking its result.
/// </summary>
/// <typeparam name="T">The operations' result type.</typeparam>
internal sealed class OperationQueue<T>
{
    /// <summary>Free operations kept for reuse: enough for the usual few concurrent waiters, bounded so a burst of them is not kept forever.</summary>
    private const int MaxPooled = 16;

    private readonly Lock _gate;
    private ReaderOperation<T>? _first;
    private ReaderOperation<T>? _last;
    private ReaderOperation<T>? _free;
    private int _freeCount;

    public OperationQueue(Lock gate) => _gate = gate;

    /// <summary>Whether no operation is pending.</summary>
    public bool IsEmpty => _first is null;

    /// <summary>Rents a pending operation from the pool (allocating only when it is empty) and returns the value task its caller awaits.</summary>
    public ReaderOperation<T> Rent(out ValueTask<T> task)
    {
        ReaderOperation<T>? operation = _free;
        if (operation is null)
        {
            operation = new ReaderOperation<T>(this);
        }
        else
        {
            _free = operation.Next;
            operation.Next = null;
            _freeCount--;
        }

        task = operation.Rent();
        return operation;
    }

    /// <summary>Appends a pending operation.</summary>
    public void Link(ReaderOperation<T> operation)
    {
        operation.Previous = _last;
        operation.Next = null;
        if (_last is null)
        {
            _first = operation;
        }
        else
        {
            _last.Next = operation;
        }

        _last = operation;
        operation.IsLinked = true;
    }

    /// <summary>Takes the oldest operation still undecided, reserved for the caller to decide; skips (and drops) those a cancellation reserved.</summary>
    public bool TryReserveFirst(out ReaderOperation<T> operation)
    {
        while (_first is ReaderOperation<T> first)
        {
            UnlinkLocked(first);
            if (first.TryReserve())
            {
                operation = first;
                return true;
            }
        }

        operation = null!;
        return false;
    }

    /// <summary>Decides every pending operation with <paramref name="result"/> or <paramref name="error"/> and adds it to <paramref name="completions"/>.</summary>
    public void ReserveAll(T result, Exception? error, ref CompletionList completions)
    {
        while (TryReserveFirst(out ReaderOperation<T> operation))
        {
            if (error is null)
            {
                operation.SetResult(result);
            }
            else
            {
                operation.SetError(error);
            }

            completions.Add(operation);
        }
    }

    /// <summary>Removes <paramref name="operation"/> if it is still queued. Takes the lock.</summary>
    public void Unlink(ReaderOperation<T> operation)
    {
        lock (_gate)
        {
            UnlinkLocked(operation);
        }
    }

    /// <summary>Puts a recycled operation back in the pool. Takes the lock.</summary>
    public void Return(ReaderOperation<T> operation)
    {
        lock (_gate)
        {
            if (_freeCount < MaxPooled)
            {
                operation.Next = _free;
                operation.Previous = null;
                _free = operation;
                _freeCount++;
            }
        }
    }

    private void UnlinkLocked(ReaderOperation<T> operation)
    {
        if (!operation.IsLinked)
        {
            return;
        }

        if (operation.Previous is null)
        {
            _first = operation.Next;
        }
        else
        {
            operation.Previous.Next = operation.Next;
        }

        if (operation.Next is null)
        {
            _last = operation.Previous;
        }
        else
        {
            operation.Next.Previous = operation.Previous;
        }

        operation.Previous = null;
        operation.Next = null;
        operation.IsLinked = false;
    }
}
