using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// Linux futexes and membarrier through libc's <c>syscall</c> (no native library to ship). Futexes here are
/// always shared (no FUTEX_PRIVATE_FLAG): the word lives in a file mapping that other processes map too, and the
/// kernel keys a shared futex on the file and offset, not on the address. Only called where <see cref="IsSupported"/>.
/// </summary>
internal static unsafe partial class Futex
{
    private const int FutexWait = 0;
    private const int FutexWake = 1;

    // errno values (identical on every Linux architecture).
    private const int EAgain = 11;
    private const int ETimedOut = 110;

    // enum membarrier_cmd.
    private const int MembarrierCmdQuery = 0;
    private const int MembarrierCmdGlobalExpedited = 1 << 1;
    private const int MembarrierCmdRegisterGlobalExpedited = 1 << 2;

    private static readonly Lazy<long> MembarrierCommands = new(QueryMembarrier);
    private static readonly Lazy<bool> MembarrierRegistered = new(RegisterGlobalExpedited);

    /// <summary>What ended a <see cref="Wait"/>.</summary>
    public enum WaitResult
    {
        /// <summary>A FUTEX_WAKE (or a spurious wake-up, or a signal): the caller re-checks.</summary>
        Woken,

        /// <summary>The word no longer held the expected value: something happened before the wait began.</summary>
        ValueChanged,

        /// <summary>The timeout passed with no wake-up.</summary>
        TimedOut,
    }

    /// <summary>Whether this platform has futexes reachable through <c>syscall</c>: Linux on x86-64 or arm64.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    private static long FutexSyscall => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 202 : 98;

    private static long MembarrierSyscall => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 324 : 283;

    /// <summary>Whether this process may issue <see cref="GlobalBarrier"/> (the kernel has MEMBARRIER_CMD_GLOBAL_EXPEDITED).</summary>
    public static bool CanIssueGlobalBarriers => IsSupported && (MembarrierCommands.Value & MembarrierCmdGlobalExpedited) != 0;

    /// <summary>
    /// Whether this process is registered to receive global expedited memory barriers, so that a reader's
    /// <see cref="GlobalBarrier"/> executes a full fence on this process's threads (registration happens once, on first use).
    /// </summary>
    public static bool ReceivesGlobalBarriers => IsSupported && MembarrierRegistered.Value;

    /// <summary>
    /// FUTEX_WAIT: sleeps while <paramref name="word"/> holds <paramref name="expected"/> (checked atomically with
    /// going to sleep), until a FUTEX_WAKE, a signal, or <paramref name="timeout"/>.
    /// </summary>
    public static WaitResult Wait(uint* word, uint expected, TimeSpan timeout)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        var spec = new TimeSpec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        // Safe: word points into a live mapping the caller holds (a reference on its view handle), 4-aligned.
        long result = Syscall(FutexSyscall, (nint)word, FutexWait, expected, (nint)(&spec), 0, 0);
        if (result == 0)
        {
            return WaitResult.Woken;
        }

        return Marshal.GetLastPInvokeError() switch
        {
            EAgain => WaitResult.ValueChanged,
            ETimedOut => WaitResult.TimedOut,
            // EINTR and anything unexpected: the caller re-checks the channel, as after a wake-up.
            _ => WaitResult.Woken,
        };
    }

    /// <summary>FUTEX_WAKE: wakes every thread (of any process) sleeping on <paramref name="word"/>. Errors are ignored: a wake is a hint.</summary>
    public static void WakeAll(uint* word) => Syscall(FutexSyscall, (nint)word, FutexWake, int.MaxValue, 0, 0, 0);

    /// <summary>
    /// membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED): every running thread of every process registered through
    /// <see cref="ReceivesGlobalBarriers"/> executes a full memory barrier before this returns (threads not running
    /// pass one when they are scheduled). False if the call failed; the caller then cannot count on it.
    /// </summary>
    public static bool GlobalBarrier() => Syscall(MembarrierSyscall, MembarrierCmdGlobalExpedited, 0, 0, 0, 0, 0) == 0;

    /// <summary>The membarrier commands the kernel offers (0 if none, or if the call is refused, by seccomp say).</summary>
    private static long QueryMembarrier()
    {
        try
        {
            return Math.Max(0, Syscall(MembarrierSyscall, MembarrierCmdQuery, 0, 0, 0, 0, 0));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    private static bool RegisterGlobalExpedited() =>
        (MembarrierCommands.Value & (MembarrierCmdGlobalExpedited | MembarrierCmdRegisterGlobalExpedited)) == (MembarrierCmdGlobalExpedited | MembarrierCmdRegisterGlobalExpedited)
        && Syscall(MembarrierSyscall, MembarrierCmdRegisterGlobalExpedited, 0, 0, 0, 0, 0) == 0;

    // glibc's syscall(2) is variadic; on x86-64 and arm64 Linux variadic integer arguments travel in the same
    // registers as fixed ones, and glibc's implementation reads exactly six, so a fixed six-argument import is exact.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint arg1, long arg2, long arg3, nint arg4, nint arg5, long arg6);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
