namespace Kekbit.Core.Diagnostics;

/// <summary>
/// A reader seen by <see cref="ChannelMeter"/>: how many records lie before its position, counted by walking a
/// private read-only reader of the same file up to that position (the observed reader's own thread does no work).
/// </summary>
internal sealed class ReaderObservation(ShmReader reader, ChannelTally tally) : Observation(tally)
{
    private readonly WeakReference<ShmReader> _reader = new(reader);
    private ShmReader? _walker;
    private long _records;
    private long _position;
    private long _sleeps;
    private long _timeouts;

    /// <summary>Records before the reader's position, as of the last refresh.</summary>
    public long Records => _records;

    /// <summary>The reader's position, as of the last refresh.</summary>
    public long Position => _position;

    protected override bool Refresh()
    {
        bool alive = _reader.TryGetTarget(out ShmReader? reader) && !reader.IsDisposed;
        if (reader is not null)
        {
            // Still readable after Dispose: plain fields of the object.
            _position = reader.Position;
            _sleeps = reader.DoorbellSleeps;
            _timeouts = reader.TimeoutWakeups;
        }

        CountTo(_position);
        if (alive)
        {
            Tally.AddReader(_records, _position, _sleeps, _timeouts);
            return true;
        }

        Tally.RetireReader(_records, _position, _sleeps, _timeouts);
        _walker?.Dispose();
        _walker = null;
        return false;
    }

    /// <summary>Walks the private reader to <paramref name="position"/>, counting records; back to the start when the reader sought backwards.</summary>
    private void CountTo(long position)
    {
        try
        {
            _walker ??= ShmReader.OpenUnobserved(Tally.Path);
            if (position < _walker.Position)
            {
                _walker.SeekTo(0);
                _records = 0;
            }

            while (_walker.Position < position && _walker.TryRead().IsRecord)
            {
                _records++;
            }
        }
        catch (ChannelException)
        {
            // The file was deleted or replaced under the reader: its record count stays where it was.
        }
    }
}
