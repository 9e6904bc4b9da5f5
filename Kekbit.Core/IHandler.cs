namespace Kekbit.Core;

/// <summary>
/// A step in a writer's handler chain. For every record the writer calls <see cref="Incoming"/>, writes
/// the payload, then calls <see cref="Outgoing"/>: a handler adds bytes before the payload (a timestamp,
/// a sequence number) or after it (a checksum over <see cref="RecordBuffer.WrittenSpan"/>).
/// Handlers run on the writing thread; they should not allocate.
/// </summary>
public interface IHandler
{
    /// <summary>Called before the payload is written.</summary>
    /// <param name="record">The record being written.</param>
    void Incoming(RecordBuffer record);

    /// <summary>Called after the payload is written.</summary>
    /// <param name="record">The record being written.</param>
    void Outgoing(RecordBuffer record);
}
