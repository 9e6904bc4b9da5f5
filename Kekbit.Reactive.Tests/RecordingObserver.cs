using Kekbit.Reactive;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// Records what an observable sends: pattern indices (checked intact on the polling thread), the end, and
/// the grammar (nothing after the end). Signals reaching a count or the end, for waits with deadlines.
/// </summary>
internal sealed class RecordingObserver : IObserver<Record>
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private readonly Lock _gate = new();
    private readonly List<long> _indices = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Called on the polling thread for each record, after it is counted.</summary>
    public Action<Record>? OnRecord { get; init; }

    public int Count => Volatile.Read(ref _count);

    public bool Completed { get; private set; }

    public Exception? Error { get; private set; }

    public bool GrammarViolated { get; private set; }

    public List<long> Indices
    {
        get
        {
            lock (_gate)
            {
                return [.. _indices];
            }
        }
    }

    public void OnNext(Record value)
    {
        GrammarViolated |= _ended.Task.IsCompleted;
        // Never throw on the polling thread: a damaged record shows up as index -1 in the sequence checks.
        long index = Kekbit.TestSupport.RecordPattern.IsIntact(value.Span, out ulong intact) ? (long)intact : -1;
        lock (_gate)
        {
            _indices.Add(index);
        }

        Interlocked.Increment(ref _count);
        OnRecord?.Invoke(value);
    }

    public void OnCompleted()
    {
        GrammarViolated |= _ended.Task.IsCompleted;
        Completed = true;
        _ended.TrySetResult();
    }

    public void OnError(Exception error)
    {
        GrammarViolated |= _ended.Task.IsCompleted;
        Error = error;
        _ended.TrySetResult();
    }

    public bool HasEnded => _ended.Task.IsCompleted;

    public void WaitForEnd() => Assert.True(_ended.Task.Wait(Patience), $"no end after {Count} records");

    public void WaitForCount(int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (Count < count && !_ended.Task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {Count} of {count} records arrived");
            _ended.Task.Wait(TimeSpan.FromMilliseconds(2));
        }

        Assert.True(Count >= count, $"ended after {Count} of {count} records: {Error}");
    }

    /// <summary>Asserts the records were exactly <paramref name="count"/> intact pattern records first, first + step, ..., in order.</summary>
    public void AssertSequence(long first, long count, long step = 1) =>
        Assert.Equal(Enumerable.Range(0, (int)count).Select(i => first + (i * step)), Indices);
}
