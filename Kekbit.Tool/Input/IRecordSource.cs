namespace Kekbit.Tool.Input;

/// <summary>Splits an input stream into records to write.</summary>
internal interface IRecordSource
{
    /// <summary>Reads the next record; false at the end of the input.</summary>
    /// <param name="record">The record's bytes, valid until the next call.</param>
    /// <exception cref="ToolException">The input is malformed or holds a record longer than the channel allows.</exception>
    bool TryRead(out ReadOnlyMemory<byte> record);
}
