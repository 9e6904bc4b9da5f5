namespace Kekbit.Core;

/// <summary>
/// Appends records to a channel. Writes never block and never throw for a full channel or an oversize
/// record: they return a <see cref="WriteResult"/> that says so. Disposing closes the channel.
/// </summary>
public interface IWriter : IDisposable
{
    /// <summary>The channel's metadata.</summary>
    Metadata Metadata { get; }

    /// <summary>Writes <paramref name="payload"/> as one record, through the writer's handler chain.</summary>
    /// <param name="payload">The record's bytes.</param>
    WriteResult Write(ReadOnlySpan<byte> payload);

    /// <summary>
    /// Encodes <paramref name="value"/> straight into the channel's memory with <paramref name="encoder"/>,
    /// through the writer's handler chain, and publishes it as one record. No intermediate copy.
    /// </summary>
    /// <typeparam name="T">The type of value.</typeparam>
    /// <param name="value">The value to encode.</param>
    /// <param name="encoder">Writes the value's bytes into the record; should be cached to avoid allocating per call.</param>
    WriteResult Write<T>(T value, RecordEncoder<T> encoder);

    /// <summary>Writes the channel's modified pages to its file and returns when they are there.</summary>
    void Flush();
}
