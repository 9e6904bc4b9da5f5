using Kekbit.Core.Diagnostics;

namespace Kekbit.Journal.Diagnostics;

/// <summary>
/// What <see cref="JournalMeter"/> knows of one journal folder: the rolls of this process's writers of it (those gone
/// retired, so that the sum never goes down) and the live writer's next sequence, the end cursors' lag is measured from.
/// Mutated only under <see cref="ChannelMeter"/>'s collection lock, except <see cref="Observers"/>.
/// </summary>
internal sealed class JournalTally(string folder)
{
    private int _observers;
    private long _retiredRolls;
    private long _liveRolls;
    private long _lastSeenAt = Environment.TickCount64;

    /// <summary>The journal's folder, a full path.</summary>
    public string Folder { get; } = folder;

    /// <summary>The tags of every measurement of this journal.</summary>
    public KeyValuePair<string, object?>[] Tags { get; } = [new(KekbitMetrics.JournalPathTag, folder)];

    /// <summary>Writers of this journal still observed (changed by the opening thread, hence interlocked).</summary>
    public int Observers => Volatile.Read(ref _observers);

    /// <summary>Rolls made by every writer of this process, live and gone.</summary>
    public long Rolls => _retiredRolls + _liveRolls;

    /// <summary>The live writer's next sequence (the number of records the journal has had), as of the last refresh.</summary>
    public long NextSequence { get; private set; }

    /// <summary>
    /// Whether the journal's series are still reported: while a writer is observed, and for
    /// <see cref="ChannelTally.ReportedAfterLastClose"/> after it closed, as a channel's are.
    /// </summary>
    public bool IsReported => Observers > 0 || Environment.TickCount64 - _lastSeenAt < (long)ChannelTally.ReportedAfterLastClose.TotalMilliseconds;

    public void AddObserver() => Interlocked.Increment(ref _observers);

    /// <summary>Takes a live writer's values.</summary>
    public void Update(long rolls, long nextSequence)
    {
        _liveRolls = rolls;
        NextSequence = nextSequence;
        _lastSeenAt = Environment.TickCount64;
    }

    /// <summary>Retires a writer that closed: its rolls stay in the sum; the gauges end with it.</summary>
    public void Retire(long rolls)
    {
        _retiredRolls += rolls;
        _liveRolls = 0;
        _lastSeenAt = Environment.TickCount64;
        Interlocked.Decrement(ref _observers);
    }
}
