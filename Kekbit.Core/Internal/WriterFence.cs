namespace Kekbit.Core.Internal;

/// <summary>
/// Whether this process's doorbell writers fence between publishing a record and checking the waiters flag (the
/// symmetric protocol of ShmWriter.RingIfWaiting): the process could not register for global membarriers, or
/// <see cref="ShmWriter.WriterFenceSwitch"/> is on. Decided once per process, when the first doorbell writer is created.
/// </summary>
/// <remarks>
/// A static readonly field of its own class, so that optimised code folds it to a constant and the per-record check of
/// a writer in the usual (asymmetric) case stays one load and a branch. The explicit static constructor keeps the
/// decision from being taken early (a type without one may be initialised when a method touching it is compiled,
/// before that method sets the switch).
/// </remarks>
internal static class WriterFence
{
    /// <summary>Whether doorbell writers in this process fence before each waiter check.</summary>
    public static readonly bool EachRecord;

    static WriterFence()
    {
        EachRecord = Futex.IsSupported
            && ((AppContext.TryGetSwitch(ShmWriter.WriterFenceSwitch, out bool fence) && fence) || !Futex.ReceivesGlobalBarriers);
    }
}
