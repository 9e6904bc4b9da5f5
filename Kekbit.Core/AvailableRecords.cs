namespace Kekbit.Core;

/// <summary>
/// A non-blocking enumeration of the records available now: each step calls <see cref="IReader.TryRead"/>
/// and the enumeration ends at the first read that finds no record (then <see cref="IReader.ExhaustedBy"/>
/// says whether more may come). Use with <c>foreach</c>; allocation-free.
/// </summary>
public struct AvailableRecords
{
    private readonly IReader _reader;
    private ReadResult _current;

    internal AvailableRecords(IReader reader)
    {
        _reader = reader;
        _current = default;
    }

    /// <summary>The record read by the last successful <see cref="MoveNext"/>.</summary>
    public readonly ReadResult Current => _current;

    /// <summary>Returns this enumeration, for <c>foreach</c>.</summary>
    public readonly AvailableRecords GetEnumerator() => this;

    /// <summary>Reads the next record; false when none is available now.</summary>
    public bool MoveNext()
    {
        ReadResult result = _reader.TryRead();
        _current = result;
        return result.IsRecord;
    }
}
