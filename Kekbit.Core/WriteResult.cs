namespace Kekbit.Core;

/// <summary>The outcome of one write: a status and, on success, the bytes the record took in the channel.</summary>
/// <param name="Status">What happened.</param>
/// <param name="RecordSize">On success, the bytes used: 8 (length) + payload + padding to 8; otherwise 0.</param>
public readonly record struct WriteResult(WriteStatus Status, int RecordSize)
{
    /// <summary>Whether the record was published.</summary>
    public bool IsSuccess => Status == WriteStatus.Success;

    /// <summary>A result without a record.</summary>
    internal static WriteResult Of(WriteStatus status) => new(status, 0);
}
