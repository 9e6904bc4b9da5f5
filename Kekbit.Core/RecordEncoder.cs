using System.Buffers;

namespace Kekbit.Core;

/// <summary>
/// Encodes <paramref name="value"/> into <paramref name="output"/>, the record being written, which is the
/// channel's own memory. Ask for spans and advance as with any <see cref="IBufferWriter{T}"/>; a record
/// that outgrows the space is refused as <see cref="WriteStatus.RecordTooLarge"/> and nothing is published.
/// </summary>
/// <typeparam name="T">The type of value.</typeparam>
/// <param name="value">The value to encode.</param>
/// <param name="output">The record buffer; valid only during the call.</param>
public delegate void RecordEncoder<in T>(T value, RecordBuffer output);
