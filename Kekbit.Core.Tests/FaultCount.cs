using System.Runtime.CompilerServices;

namespace Kekbit.Core.Tests;

/// <summary>Reading a channel while counting the page faults it takes (<see cref="ThreadFaults"/>), allocating nothing.</summary>
internal static class FaultCount
{
    /// <summary>
    /// Reads up to <paramref name="most"/> records; with <paramref name="first"/> at 0 or more, checks that record k's first
    /// byte is (byte)(<paramref name="first"/> + k). Returns the records read, or -1 at the first record that fails the check.
    /// Compiled optimised at once and allocation-free, so that neither the JIT nor fresh heap pages add faults to a count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ReadRecords(ShmReader reader, int most, int first = -1)
    {
        int count = 0;
        ReadResult record;
        while (count < most && (record = reader.TryRead()).IsRecord)
        {
            if (first >= 0 && record.Span[0] != (byte)(count + first))
            {
                return -1;
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// Reads one record (warming the loop), then the rest of what <paramref name="reader"/> has; returns the records of the
    /// second part and the page faults this thread took reading them.
    /// </summary>
    public static (int Records, long Faults) ReadRest(ShmReader reader, int first = -1)
    {
        Assert.Equal(1, ReadRecords(reader, 1, first));
        long before = ThreadFaults.Minor();
        int read = ReadRecords(reader, int.MaxValue, first < 0 ? -1 : first + 1);
        return (read, ThreadFaults.Minor() - before);
    }
}
