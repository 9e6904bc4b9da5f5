namespace Kekbit.Tool.Channels;

/// <summary>
/// What a following command does when a poll finds nothing: yield a few times (a record usually follows
/// soon), then sleep 1, 2, 4 ... up to 16 ms, so an idle follower costs almost no CPU. Reset when a record arrives.
/// </summary>
internal struct PollBackoff
{
    private const int YieldingPolls = 10;
    private const int MaxSleepMilliseconds = 16;
    private int _idlePolls;

    public void Reset() => _idlePolls = 0;

    /// <summary>Waits before the next poll; returns early when <paramref name="cancellationToken"/> is cancelled.</summary>
    public void Wait(CancellationToken cancellationToken)
    {
        if (_idlePolls < YieldingPolls)
        {
            _idlePolls++;
            Thread.Yield();
            return;
        }

        int shift = Math.Min(_idlePolls - YieldingPolls, 4);
        _idlePolls++;
        cancellationToken.WaitHandle.WaitOne(Math.Min(1 << shift, MaxSleepMilliseconds));
    }
}
