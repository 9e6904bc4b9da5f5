namespace Kekbit.Reactive.Tests;

/// <summary>
/// A clock whose timers fire only when a test says so, on the test's thread: <see cref="WaitScheduled"/> waits until
/// a timer is armed, <see cref="Fire"/> runs its callback. Time itself does not move. Allocates nothing once a timer exists.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider, IDisposable
{
    private readonly SemaphoreSlim _scheduled = new(0);
    private ManualTimer? _timer;
    private int _armed;

    /// <summary>How many times a timer was armed.</summary>
    public int Armed => Volatile.Read(ref _armed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        Volatile.Write(ref _timer, timer);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Waits until a timer is armed (once per arming).</summary>
    public void WaitScheduled(TimeSpan deadline) => Assert.True(_scheduled.Wait(deadline), "no timer was armed");

    /// <summary>Runs the armed timer's callback on this thread.</summary>
    public void Fire()
    {
        ManualTimer timer = Volatile.Read(ref _timer) ?? throw new InvalidOperationException("no timer");
        Assert.True(timer.Disarm(), "the timer is not armed");
        timer.Run();
    }

    public void Dispose() => _scheduled.Dispose();

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _armed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Volatile.Write(ref _armed, 1);
                Interlocked.Increment(ref owner._armed);
                owner._scheduled.Release();
            }
            else
            {
                Volatile.Write(ref _armed, 0);
            }

            return true;
        }

        public bool Disarm() => Interlocked.Exchange(ref _armed, 0) == 1;

        public void Run() => callback(state);

        public void Dispose() => Volatile.Write(ref _armed, 0);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
