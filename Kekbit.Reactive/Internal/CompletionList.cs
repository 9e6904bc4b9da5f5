namespace Kekbit.Reactive.Internal;

/// <summary>
/// Operations decided under a <see cref="ReaderChannel"/>'s lock, completed once it is released: completing waits
/// for a losing cancellation callback, which must never happen under the lock.
/// </summary>
internal struct CompletionList
{
    private ReaderOperation? _first;

    /// <summary>Adds a reserved operation whose outcome is set.</summary>
    public void Add(ReaderOperation operation)
    {
        operation.NextToComplete = _first;
        _first = operation;
    }

    /// <summary>Completes every operation added. Outside the lock.</summary>
    public void CompleteAll()
    {
        ReaderOperation? operation = _first;
        _first = null;
        while (operation is not null)
        {
            // Read the link first: a completed operation may be recycled (and relinked) at once.
            ReaderOperation? next = operation.NextToComplete;
            operation.NextToComplete = null;
            operation.Complete();
            operation = next;
        }
    }
}
