namespace Kekbit.Core;

/// <summary>Why a read ended with <see cref="ReadStatus.Failed"/>.</summary>
public enum ReadFailure
{
    /// <summary>No failure.</summary>
    None,

    /// <summary>The length slot holds a value that is neither a valid length nor a known marker: the data is corrupted.</summary>
    UnknownMarker,

    /// <summary>The record's length would carry it past the end of the channel's capacity: the data is corrupted.</summary>
    RecordBeyondCapacity,

    /// <summary>
    /// The file ends before the record (or its length slot) does. kekbit 0.3.5 creates files 896 bytes
    /// shorter than their data area; such files read up to the last record lying wholly inside them.
    /// </summary>
    FileTruncated,
}
