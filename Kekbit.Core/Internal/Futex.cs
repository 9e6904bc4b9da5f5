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
    private const int FutexPrivateFlag = 128;

    // futex_waitv (Linux 5.16): the same number on x86-64 and arm64 (the generic syscall table). Its per-word flags.
    private const long FutexWaitvSyscall = 449;
    private const uint Futex2Size32 = 2;
    private const uint Futex2Private = FutexPrivateFlag;
    private const int ClockMonotonic = 1;

    // errno values (identical on every Linux architecture).
    private const int EAgain = 11;
    private const int EInvalid = 22;
    private const int ETimedOut = 110;

    // enum membarrier_cmd.
    private const int MembarrierCmdQuery = 0;
    private const int MembarrierCmdGlobalExpedited = 1 << 1;
    private const int MembarrierCmdRegisterGlobalExpedited = 1 << 2;

    private static readonly Lazy<long> MembarrierCommands = new(QueryMembarrier);
    private static readonly Lazy<bool> MembarrierRegistered = new(RegisterGlobalExpedited);
    private static readonly Lazy<bool> WaitvSupported = new(ProbeWaitv);

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

    /// <summary>What ended a <see cref="WaitAny"/>.</summary>
    public enum WaitAnyResult
    {
        /// <summary>A FUTEX_WAKE on one of the words (or a signal, or an error to look past): the caller looks at every word.</summary>
        Woken,

        /// <summary>A word no longer held its expected value (which one is not told): the caller looks at every word.</summary>
        ValueChanged,

        /// <summary>The deadline passed with no wake-up.</summary>
        TimedOut,

        /// <summary>The kernel refused the call (a malformed vector, say): the caller must not retry at once.</summary>
        Failed,
    }

    /// <summary>Whether this platform has futexes reachable through <c>syscall</c>: Linux on x86-64 or arm64.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    /// <summary>Whether <see cref="WaitAny"/> is available: <see cref="IsSupported"/> and the kernel has futex_waitv (Linux 5.16 and later, not refused by seccomp).</summary>
    public static bool IsWaitAnySupported => IsSupported && WaitvSupported.Value;

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

    /// <summary>FUTEX_WAKE_PRIVATE: wakes the threads of this process sleeping on a private word (see <see cref="PrivateWord"/>).</summary>
    public static void WakePrivate(uint* word) => Syscall(FutexSyscall, (nint)word, FutexWake | FutexPrivateFlag, int.MaxValue, 0, 0, 0);

    /// <summary>An entry of <see cref="WaitAny"/>'s vector for a word shared with other processes (a channel's wake sequence).</summary>
    public static WaitvEntry SharedWord(uint* word, uint expected) => new() { Value = expected, Address = (ulong)word, Flags = Futex2Size32 };

    /// <summary>An entry of <see cref="WaitAny"/>'s vector for a word only this process uses (woken by <see cref="WakePrivate"/>).</summary>
    public static WaitvEntry PrivateWord(uint* word, uint expected) => new() { Value = expected, Address = (ulong)word, Flags = Futex2Size32 | Futex2Private };

    /// <summary>
    /// futex_waitv: sleeps while every word of <paramref name="vector"/> holds its expected value (checked atomically with
    /// going to sleep), until a FUTEX_WAKE on any of them, a signal, or <paramref name="deadline"/>, an absolute CLOCK_MONOTONIC
    /// time in nanoseconds (<see cref="MonotonicNow"/>; <see cref="long.MaxValue"/>: none). At most 128 words.
    /// </summary>
    public static WaitAnyResult WaitAny(WaitvEntry* vector, int count, long deadline)
    {
        var spec = new TimeSpec { Seconds = deadline / 1_000_000_000, Nanoseconds = deadline % 1_000_000_000 };
        // Safe: the vector and every word it names are pinned and mapped for the whole call (the caller's invariant).
        long result = Syscall(FutexWaitvSyscall, (nint)vector, (uint)count, 0, deadline == long.MaxValue ? 0 : (nint)(&spec), ClockMonotonic, 0);
        if (result >= 0)
        {
            return WaitAnyResult.Woken;
        }

        return Marshal.GetLastPInvokeError() switch
        {
            EAgain => WaitAnyResult.ValueChanged,
            ETimedOut => WaitAnyResult.TimedOut,
            EInvalid => WaitAnyResult.Failed,
            // EINTR, EFAULT (a word whose mapping changed under the call) and anything else: look at every word again.
            _ => WaitAnyResult.Woken,
        };
    }

    /// <summary>clock_gettime(CLOCK_MONOTONIC) in nanoseconds: the clock of <see cref="WaitAny"/>'s deadline.</summary>
    public static long MonotonicNow()
    {
        TimeSpec now;
        // Safe: now is a local the call fills. CLOCK_MONOTONIC always exists on Linux.
        _ = ClockGetTime(ClockMonotonic, &now);
        return now.Seconds * 1_000_000_000 + now.Nanoseconds;
    }

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

    /// <summary>Whether the kernel has futex_waitv: with no words it fails with EINVAL, where it is missing (or refused) with ENOSYS or EPERM.</summary>
    private static bool ProbeWaitv()
    {
        try
        {
            return Syscall(FutexWaitvSyscall, 0, 0, 0, 0, ClockMonotonic, 0) == -1 && Marshal.GetLastPInvokeError() == EInvalid;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static bool RegisterGlobalExpedited() =>
        (MembarrierCommands.Value & (MembarrierCmdGlobalExpedited | MembarrierCmdRegisterGlobalExpedited)) == (MembarrierCmdGlobalExpedited | MembarrierCmdRegisterGlobalExpedited)
        && Syscall(MembarrierSyscall, MembarrierCmdRegisterGlobalExpedited, 0, 0, 0, 0, 0) == 0;

    // glibc's syscall(2) is variadic; on x86-64 and arm64 Linux variadic integer arguments travel in the same
    // registers as fixed ones, and glibc's implementation reads exactly six, so a fixed six-argument import is exact.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint arg1, long arg2, long arg3, nint arg4, nint arg5, long arg6);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>The kernel's struct futex_waitv: one word of a <see cref="WaitAny"/> call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WaitvEntry
    {
        /// <summary>The value the word must hold for the call to sleep (u64; a 32-bit word compares its low half).</summary>
        public ulong Value;

        /// <summary>The word's address.</summary>
        public ulong Address;

        /// <summary>FUTEX2_SIZE_U32, plus FUTEX2_PRIVATE for a word no other process maps.</summary>
        public uint Flags;

        /// <summary>Must be zero.</summary>
        public uint Reserved;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
