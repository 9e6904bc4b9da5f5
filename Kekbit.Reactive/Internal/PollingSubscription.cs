using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using Kekbit.Core;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// One subscription of a <see cref="RecordObservable"/>: polls its reader in batches, delivers records to the
/// observer, ends with OnCompleted (closed) or OnError (timeout, corruption, opening failure), and owns the
/// reader, which it disposes only once no poll can run any more.
/// </summary>
/// <remarks>
/// Polling runs either as one blocking loop (a dedicated thread or a long-running scheduler) or as a chain of
/// scheduled steps, one batch each. <c>_state</c> tells whether a poll may be running: a step or the loop
/// moves it from Waiting to Running to enter, and whoever moves it to Finished (the loop at its end, or
/// <see cref="Dispose"/> while nothing runs) releases the reader. So the mapping is never released under a
/// running poll, and <see cref="Dispose"/> returns only once polling is over (unless it is called from the
/// observer on the polling thread itself, where waiting would deadlock; the loop then stops as soon as the
/// observer returns).
/// </remarks>
internal sealed class PollingSubscription : IDisposable
{
    private const int Waiting = 0;
    private const int Running = 1;
    private const int Finished = 2;

    // Once stopped, the rest of the batch is read but no longer delivered: no OnNext after a Dispose, even
    // one called from OnNext itself.
    // An idle step through a scheduler always waits on the scheduler's timer, at least this long: a strategy
    // that never parks (busy spin, yield) would otherwise flood the scheduler, or, in virtual time, loop
    // forever at one instant.
    private static readonly TimeSpan ShortestIdleDelay = TimeSpan.FromTicks(1);

    private static readonly ReadHandler<PollingSubscription> Deliver = static (self, record) =>
    {
        if (!self._stop.IsCancellationRequested)
        {
            self._observer.OnNext(Record.From(record));
        }
    };

    private readonly IObserver<Record> _observer;
    private readonly Func<CancellationToken, IReader>? _open;
    private readonly PollingOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _finished = new(false);
    private readonly SerialDisposable _pending = new();
    private IReader? _reader;
    private ReaderPoller? _poller;
    private int _state;
    private int _pollingThreadId;

    public PollingSubscription(IObserver<Record> observer, IReader? reader, Func<CancellationToken, IReader>? open, PollingOptions options)
    {
        _observer = observer;
        _reader = reader;
        _open = open;
        _options = options;
    }

    /// <summary>Starts polling where the options say.</summary>
    public void Start()
    {
        IScheduler? scheduler = _options.Scheduler;
        if (scheduler is null)
        {
            var thread = new Thread(static self => ((PollingSubscription)self!).RunLoop())
            {
                IsBackground = true,
                Name = "Kekbit poller",
            };
            thread.Start(this);
            return;
        }

        if (scheduler.AsLongRunning() is ISchedulerLongRunning longRunning)
        {
            _pending.Disposable = longRunning.ScheduleLongRunning(this, static (self, _) => self.RunLoop());
            return;
        }

        _pending.Disposable = scheduler.Schedule(this, static (scheduler, self) => self.Step(scheduler));
    }

    /// <summary>Stops polling; returns once no poll runs and the reader is released (except when called on the polling thread).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _pending.Dispose();
        if (Interlocked.CompareExchange(ref _state, Finished, Waiting) == Waiting)
        {
            Release();
            return;
        }

        if (Volatile.Read(ref _state) == Running && Volatile.Read(ref _pollingThreadId) == Environment.CurrentManagedThreadId)
        {
            // Called by the observer from inside a poll: the poll ends when the observer returns.
            return;
        }

        _finished.Wait();
    }

    /// <summary>The blocking form: polls until stopped or the channel ends, idling with the strategy (by default, asleep on the channel's doorbell).</summary>
    private void RunLoop()
    {
        if (!TryEnter())
        {
            return;
        }

        try
        {
            if (!TryOpen())
            {
                return;
            }

            ReaderPoller poller = _poller!;
            CancellationToken stop = _stop.Token;
            while (!stop.IsCancellationRequested)
            {
                // Interruptible: Dispose cancels the token, which ends a park or a doorbell sleep (issue 10, point 7).
                if (poller.Poll(Deliver, this, stop) == 0 && poller.IsExhausted)
                {
                    Terminate();
                    return;
                }
            }
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>The scheduled form: one batch, then the next step is scheduled (after the idle strategy's park period when idle).</summary>
    private IDisposable Step(IScheduler scheduler)
    {
        if (!TryEnter())
        {
            return Disposable.Empty;
        }

        TimeSpan? next = null;
        try
        {
            if (TryOpen() && !_stop.IsCancellationRequested)
            {
                ReaderPoller poller = _poller!;
                if (poller.Drain(Deliver, this) > 0)
                {
                    poller.IdleStrategy.Reset();
                    next = TimeSpan.Zero;
                }
                else if (poller.IsExhausted)
                {
                    Terminate();
                }
                else
                {
                    // Dispose cancels the scheduled step, so a long park never delays it.
                    TimeSpan park = poller.IdleWithoutBlocking();
                    next = park > ShortestIdleDelay ? park : ShortestIdleDelay;
                }
            }
        }
        catch
        {
            Finish();
            throw;
        }

        if (next is not TimeSpan delay)
        {
            Finish();
            return Disposable.Empty;
        }

        // Leave before scheduling: the next step may start on another thread before this one returns.
        Interlocked.Exchange(ref _state, Waiting);
        if (_stop.IsCancellationRequested)
        {
            if (Interlocked.CompareExchange(ref _state, Finished, Waiting) == Waiting)
            {
                Release();
            }

            return Disposable.Empty;
        }

        _pending.Disposable = delay > TimeSpan.Zero
            ? scheduler.Schedule(this, delay, static (scheduler, self) => self.Step(scheduler))
            : scheduler.Schedule(this, static (scheduler, self) => self.Step(scheduler));
        return Disposable.Empty;
    }

    private bool TryEnter()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Waiting) != Waiting)
        {
            return false;
        }

        Volatile.Write(ref _pollingThreadId, Environment.CurrentManagedThreadId);
        return true;
    }

    /// <summary>Opens the reader on the first poll; reports an opening failure to the observer.</summary>
    private bool TryOpen()
    {
        if (_poller is not null)
        {
            return true;
        }

        try
        {
            _reader ??= _open!(_stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OperationCanceledException)
        {
            _observer.OnError(e);
            return false;
        }

        _poller = new ReaderPoller(_reader, _options.CreateIdleStrategy(_reader), _options.BatchSize, _options.TimeProvider);
        return true;
    }

    private void Terminate()
    {
        ChannelReadException? error = ChannelReadException.ForEndOf(_reader!);
        if (error is null)
        {
            _observer.OnCompleted();
        }
        else
        {
            _observer.OnError(error);
        }
    }

    private void Finish()
    {
        Interlocked.Exchange(ref _state, Finished);
        Release();
    }

    private void Release()
    {
        _pending.Dispose();
        _reader?.Dispose();
        _finished.Set();
    }
}
