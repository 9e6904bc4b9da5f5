namespace Kekbit.TestSupport;

/// <summary>Measures what code allocates on the current thread, counting only what every run allocates.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="body"/> once unmeasured, then again while measuring, and returns the bytes the
    /// second run allocated on the current thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).
    /// </summary>
    /// <remarks>
    /// Why the first run: a method with a loop starts as tier-0 code, and after enough iterations the runtime
    /// compiles an on-stack-replacement (OSR) version of it on the thread running the loop. That compile is
    /// an optimized one: it loads types and runs the class constructors of the statics the rest of the method
    /// touches, and those allocate on this thread. Whether they still have anything to do depends on what
    /// tests running in parallel have already initialized, so a measurement of a loop's first run counts a
    /// few kilobytes now and then (2,032 bytes seen; 16,344 every time with
    /// <c>DOTNET_TC_OnStackReplacement_InitialCounter=1</c>). After one full run, OSR code, call counting and
    /// first-use paths are all in place; a second run allocates only what the code under test allocates.
    /// Pass a static lambda and its inputs as <paramref name="state"/>, so that no closure is allocated.
    /// </remarks>
    public static long OfSecondRun<TState>(TState state, Action<TState> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        body(state);
        long before = GC.GetAllocatedBytesForCurrentThread();
        body(state);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
