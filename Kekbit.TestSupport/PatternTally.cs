namespace Kekbit.TestSupport;

/// <summary>
/// Tallies the pattern records (<see cref="RecordPattern"/>) a reader receives: how many, their running
/// checksum, and whether every one was intact and had the next index in order (none torn, lost or repeated).
/// </summary>
public struct PatternTally
{
    public long Count { get; private set; }

    public ulong Checksum { get; private set; }

    /// <summary>The index of the first record that was torn or out of order, or -1 while all are intact.</summary>
    public long FirstBad { get; private set; }

    public readonly bool Intact => FirstBad < 0;

    public static PatternTally Start() => new() { FirstBad = -1 };

    public void Add(ReadOnlySpan<byte> payload)
    {
        if ((!RecordPattern.IsIntact(payload, out ulong index) || index != (ulong)Count) && FirstBad < 0)
        {
            FirstBad = Count;
        }

        Checksum = RecordPattern.Checksum(Checksum, payload);
        Count++;
    }
}
