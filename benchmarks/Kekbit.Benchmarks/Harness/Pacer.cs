using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// Calls an action at a fixed rate with each call's due time, for the latency writers. On Linux it sleeps until shortly
/// before each due time (clock_nanosleep on CLOCK_MONOTONIC, absolute, with the thread's timer slack at 1 ns so the kernel
/// adds none of its default 50 us) and waits the last stretch yielding the CPU (sched_yield); elsewhere it spins. A pacing
/// writer that spins takes a core from the reader it measures on a small machine: on 2 cores, spinning to every due time
/// gave even the busy-spin reader a p99 of about 2 ms, and pausing on the CPU in the last stretch kept the doorbell
/// readers' p99 at 1.5-2.3 ms at 10,000 records/s (the reader it had just woken was queued behind it); yielding there
/// brought it to 0.25-0.66 ms from the due time, 82-298 us from the publish time.
/// </summary>
/// <remarks>
/// The action receives the due time, not the time of the call, so a late writer shows in every later record's latency
/// (no coordinated omission). The spin stretch adapts to how late this machine wakes the thread: it is the largest
/// recent oversleep (decaying by 1/64 per call) plus <see cref="SpinMargin"/>.
/// </remarks>
internal static partial class Pacer
{
    /// <summary>Spinning beyond the observed oversleep: the stretch always spun before a due time.</summary>
    private static readonly long SpinMargin = Stopwatch.Frequency * 5 / 1_000_000;

    /// <summary>The longest sleep-ahead stretch: beyond it the pacer spins as before (a machine that wakes threads that late).</summary>
    private static readonly long MaxSpin = Stopwatch.Frequency * 500 / 1_000_000;

    private const int PrSetTimerSlack = 29;
    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;

    /// <summary>What the last <see cref="Run"/> on this thread measured: calls made, sleeps taken, and the oversleep percentiles.</summary>
    [ThreadStatic]
    private static string? t_lastSummary;

    /// <summary>A line describing the last run on this thread (sleeps, oversleep), for the writer's standard error.</summary>
    public static string LastSummary => t_lastSummary ?? "";

    /// <summary>Calls <paramref name="send"/> <paramref name="count"/> times at <paramref name="rate"/> per second, with each call's due time.</summary>
    public static void Run(long count, int rate, Action<long> send)
    {
        // KEKBIT_PACER=spin spins to every due time, as the pacer did before: for before/after comparisons.
        bool sleeps = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000 && Environment.GetEnvironmentVariable("KEKBIT_PACER") != "spin" && TrySetTimerSlack();
        // KEKBIT_PACER_YIELD=0 spins on the CPU (SpinWait) instead of yielding it in the last stretch.
        bool yields = Environment.GetEnvironmentVariable("KEKBIT_PACER_YIELD") != "0";
        double interval = (double)Stopwatch.Frequency / rate;
        long spin = SpinMargin * 4;
        long sleepsTaken = 0, lateWakes = 0, maxOversleep = 0;
        TimeSpan cpuBefore = ProcessCpu.Used();
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < count; i++)
        {
            long due = start + (long)(i * interval);
            long wakeAt = due - spin;
            if (sleeps && wakeAt - Stopwatch.GetTimestamp() > SpinMargin)
            {
                SleepUntil(wakeAt);
                sleepsTaken++;
                long oversleep = Stopwatch.GetTimestamp() - wakeAt;
                maxOversleep = Math.Max(maxOversleep, oversleep);
                if (oversleep > spin)
                {
                    lateWakes++;
                }

                // The stretch follows the largest recent oversleep: up at once, down slowly (below).
                spin = Math.Min(Math.Max(spin, oversleep + SpinMargin), MaxSpin);
            }

            // Decays on every call, slept or not: one late wake must not keep the pacer spinning whole intervals for good.
            spin = Math.Max(SpinMargin, spin - (spin >> 6));

            // The last stretch yields the CPU while it waits (sched_yield) instead of pausing on it: the reader this writer
            // just woke is often queued on this very CPU (the kernel places a wakee near its waker), and a writer that keeps
            // spinning there holds it off until the scheduler preempts the spinner, milliseconds later on 2 cores.
            while (Stopwatch.GetTimestamp() < due)
            {
                if (yields)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(1);
                }
            }

            send(due);
        }

        double cpuShare = (ProcessCpu.Used() - cpuBefore) / Stopwatch.GetElapsedTime(start);
        t_lastSummary = $"pacer ({(sleeps ? "sleeps" : "spins")}, {(yields ? "yields" : "pauses")} in the last stretch): writer process used {cpuShare:P1} of a core; {count} calls at {rate}/s, {sleepsTaken} sleeps, {lateWakes} woke past their spin stretch, max oversleep {maxOversleep * 1e6 / Stopwatch.Frequency:F0} us, final stretch {spin * 1e6 / Stopwatch.Frequency:F0} us";
    }

    private static bool TrySetTimerSlack()
    {
        try
        {
            return Prctl(PrSetTimerSlack, 1, 0, 0, 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Sleeps until <paramref name="timestamp"/> (a Stopwatch timestamp: CLOCK_MONOTONIC nanoseconds on Linux).</summary>
    private static unsafe void SleepUntil(long timestamp)
    {
        var spec = new TimeSpec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
        // EINTR (a signal) only ends the sleep early; the caller spins the rest.
        _ = ClockNanosleep(ClockMonotonic, TimerAbsTime, &spec, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static unsafe partial int ClockNanosleep(int clock, int flags, TimeSpec* request, TimeSpec* remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
