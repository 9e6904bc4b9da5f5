namespace Kekbit.Core;

/// <summary>
/// Receives the records of a batch read (<see cref="IReader.ReadBatch{THandler}"/>), one call per record, in order, on the
/// reading thread. Implement it on a struct: the batch read is then compiled for that struct and the call is inlined, so a
/// record costs what the loop and the handler's own work cost, with no delegate or interface call.
/// </summary>
public interface IRecordHandler
{
    /// <summary>Handles one record.</summary>
    /// <param name="record">The record (<see cref="ReadResult.IsRecord"/>); its payload is valid while the reader is not disposed.</param>
    /// <returns>True to go on with the batch; false to end it after this record (the record stays consumed).</returns>
    bool OnRecord(in ReadResult record);
}
