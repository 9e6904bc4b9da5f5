using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>Ready-made encoders for values that already are bytes, cached so passing them allocates nothing.</summary>
public static class RecordEncoders
{
    /// <summary>Writes the bytes as they are.</summary>
    public static RecordEncoder<ReadOnlyMemory<byte>> Bytes { get; } = static (value, output) => output.Write(value.Span);

    /// <summary>Writes a byte array as it is.</summary>
    public static RecordEncoder<byte[]> ByteArray { get; } = static (value, output) => output.Write(value);

    /// <summary>Writes a record's payload: copies records from one channel into another (middleware).</summary>
    public static RecordEncoder<Record> Payload { get; } = static (value, output) => output.Write(value.Span);
}
