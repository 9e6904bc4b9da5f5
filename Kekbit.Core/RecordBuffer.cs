using System.Buffers;
using System.Buffers.Binary;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The record being written, in the channel's own memory: handlers and encoders append its bytes here,
/// and the writer publishes them as one record when they are done. One instance per writer, reused for
/// every record; valid only during a write.
/// </summary>
/// <remarks>
/// A record may grow up to <see cref="Limit"/> bytes: the max record length, or less when the channel is
/// nearly full. Asking for more overflows the buffer: the rest of the write goes to a scratch area, the
/// record is refused with <see cref="WriteStatus.RecordTooLarge"/>, and the channel is left unchanged.
/// </remarks>
public sealed unsafe class RecordBuffer : IBufferWriter<byte>
{
    private readonly byte* _data;
    private readonly MappedMemory _memory;
    private int _start;
    private int _limit;
    private int _written;
    private bool _overflowed;
    private byte[]? _scratch;

    internal RecordBuffer(byte* data, MappedMemory memory)
    {
        _data = data;
        _memory = memory;
    }

    /// <summary>Bytes written to the record so far.</summary>
    public int WrittenCount => _written;

    /// <summary>The most bytes this record may hold.</summary>
    public int Limit => _limit;

    /// <summary>Bytes still free in the record (0 once overflowed).</summary>
    public int FreeCapacity => _overflowed ? 0 : _limit - _written;

    /// <summary>Whether the record outgrew <see cref="Limit"/>; such a record is refused.</summary>
    public bool IsOverflowed => _overflowed;

    /// <summary>
    /// The bytes written to the record so far, for handlers that post-process them (a checksum, say).
    /// </summary>
    // Safe: [_start, _start + _written) lies inside the data area: _written never exceeds _limit, which the writer bounds by the space left.
    public ReadOnlySpan<byte> WrittenSpan => new(_data + _start, _written);

    /// <summary>Appends <paramref name="bytes"/>, or overflows the record if they do not fit.</summary>
    /// <param name="bytes">The bytes to append.</param>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > FreeCapacity)
        {
            _overflowed = true;
            return;
        }

        bytes.CopyTo(new Span<byte>(_data + _start + _written, bytes.Length));
        _written += bytes.Length;
    }

    /// <summary>Appends <paramref name="value"/> as 8 little-endian bytes, or overflows the record if they do not fit.</summary>
    /// <param name="value">The value to append.</param>
    public void WriteUInt64LittleEndian(ulong value)
    {
        if (FreeCapacity < sizeof(ulong))
        {
            _overflowed = true;
            return;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(_data + _start + _written, sizeof(ulong)), value);
        _written += sizeof(ulong);
    }

    /// <summary>Confirms that <paramref name="count"/> more bytes were written into the last span or memory returned.</summary>
    /// <param name="count">Bytes written.</param>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_overflowed)
        {
            return;
        }

        if (count > _limit - _written)
        {
            _overflowed = true;
            return;
        }

        _written += count;
    }

    /// <summary>
    /// Returns the free part of the record, at least <paramref name="sizeHint"/> bytes (at least one when 0).
    /// When the record cannot grow that much it overflows and a scratch span is returned instead.
    /// </summary>
    /// <param name="sizeHint">The bytes the caller needs.</param>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        int needed = Math.Max(sizeHint, 1);
        if (needed <= FreeCapacity)
        {
            return new Span<byte>(_data + _start + _written, FreeCapacity);
        }

        return Overflow(needed);
    }

    /// <summary>As <see cref="GetSpan"/>, as memory.</summary>
    /// <param name="sizeHint">The bytes the caller needs.</param>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        int needed = Math.Max(sizeHint, 1);
        if (needed <= FreeCapacity)
        {
            return _memory.Slice(_start + _written, FreeCapacity);
        }

        Overflow(needed);
        return _scratch;
    }

    internal void Reset(int start, int limit)
    {
        _start = start;
        _limit = limit;
        _written = 0;
        _overflowed = false;
    }

    /// <summary>
    /// Restores the record's area to zeros, as it was before the write: an encoder may have written
    /// anywhere in the spans it was given.
    /// </summary>
    internal void Discard() => new Span<byte>(_data + _start, _limit).Clear();

    private Span<byte> Overflow(int needed)
    {
        _overflowed = true;
        // Rare path (a refused record): the scratch area only grows, so repeated refusals do not allocate again.
        if (_scratch is null || _scratch.Length < needed)
        {
            _scratch = new byte[Math.Max(needed, 256)];
        }

        return _scratch;
    }
}
