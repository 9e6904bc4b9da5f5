using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// An in-process reader on its own thread: polls a channel until it is closed, times out or fails,
/// tallying the pattern records it sees. Idle polls back off (spin, yield, then 1 ms sleeps) so that
/// waiting readers leave the two CI cores to the writer.
/// </summary>
internal sealed class LiveReader
{
    private readonly Thread _thread;
    private readonly Func<IReader> _open;
    private readonly TimeSpan _deadline;
    private PatternTally _tally = PatternTally.Start();
    private ReadResult _end;
    private Exception? _error;

    private LiveReader(Func<IReader> open, TimeSpan deadline)
    {
        _open = open;
        _deadline = deadline;
        _thread = new Thread(Run) { IsBackground = true, Name = "live reader" };
    }

    /// <summary>Starts reading the reader <paramref name="open"/> returns (opened on the reader's thread).</summary>
    public static LiveReader Start(Func<IReader> open, TimeSpan? deadline = null)
    {
        var reader = new LiveReader(open, deadline ?? AgentOutput.Deadline);
        reader._thread.Start();
        return reader;
    }

    /// <summary>Waits for the reader to reach a final status and gives what it read.</summary>
    public (PatternTally Tally, ReadResult End) Join()
    {
        if (!_thread.Join(_deadline + TimeSpan.FromSeconds(5)))
        {
            throw new TimeoutException("the live reader did not finish");
        }

        if (_error is not null)
        {
            throw new InvalidOperationException("the live reader failed", _error);
        }

        return (_tally, _end);
    }

    /// <summary>How long the reader had seen nothing new when it reached its final status (for timeouts: at least the timeout).</summary>
    public TimeSpan IdleBeforeEnd { get; private set; }

    /// <summary>Reads <paramref name="reader"/> until a final status, polling gently while nothing is new.</summary>
    public static (PatternTally Tally, ReadResult End) ReadToEnd(IReader reader, TimeSpan deadline) => ReadToEnd(reader, deadline, out _);

    private static (PatternTally Tally, ReadResult End) ReadToEnd(IReader reader, TimeSpan deadline, out TimeSpan idleBeforeEnd)
    {
        var tally = PatternTally.Start();
        var idle = default(SpinWait);
        long start = TimeProvider.System.GetTimestamp();
        long lastRecord = start;
        while (true)
        {
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                tally.Add(result.Span);
                idle = default;
                lastRecord = TimeProvider.System.GetTimestamp();
                continue;
            }

            if (result.IsFinal)
            {
                idleBeforeEnd = TimeProvider.System.GetElapsedTime(lastRecord);
                return (tally, result);
            }

            if (TimeProvider.System.GetElapsedTime(start) > deadline)
            {
                throw new TimeoutException($"the reader found no end within {deadline}; at {result.Position} after {tally.Count} records");
            }

            idle.SpinOnce(sleep1Threshold: 30);
        }
    }

    /// <summary>Reads the records available now, without waiting; gives the read that found none.</summary>
    public static (PatternTally Tally, ReadResult End) ReadAvailable(IReader reader)
    {
        var tally = PatternTally.Start();
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            tally.Add(result.Span);
        }

        return (tally, result);
    }

    private void Run()
    {
        try
        {
            using IReader reader = _open();
            (_tally, _end) = ReadToEnd(reader, _deadline, out TimeSpan idleBeforeEnd);
            IdleBeforeEnd = idleBeforeEnd;
        }
        catch (Exception e)
        {
            _error = e;
        }
    }
}
