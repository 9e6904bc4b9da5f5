using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The record being written, in the channel's own memory: handlers and encoders append its bytes here,
/// and the writer publishes them as one record when they are done. One instance per writer, reused for
/// every record.
/// </summary>
/// <remarks>
/// <para>
/// Valid only inside the write that handed it out, and only on the writing thread: once that write returns,
/// every member throws <see cref="InvalidOperationException"/> and touches nothing, so a buffer kept past its
/// write can neither add phantom records nor write into a released mapping. The spans it returns end with the
/// write too (as with <see cref="System.IO.Pipelines.PipeWriter"/>, a span is valid until the next call); a
/// <see cref="Memory{T}"/> from <see cref="GetMemory"/> checks on every <see cref="Memory{T}.Span"/> that its
/// write is still running and throws otherwise.
/// </para>
/// <para>
/// A record may grow up to <see cref="Limit"/> bytes: the max record length, or less when the channel is
/// nearly full. Appending more with <see cref="Write"/>, <see cref="WriteUInt64LittleEndian"/> or
/// <see cref="Advance"/> overflows the buffer: later appends are ignored and the write is refused with
/// <see cref="WriteStatus.RecordTooLarge"/> (or <see cref="WriteStatus.RecordDoesNotFit"/> when what was asked for
/// stays within the max record length but not within the space the channel has left). Asking <see cref="GetSpan"/> or <see cref="GetMemory"/> for more
/// than the record can still take ends the write at once (it is refused with
/// <see cref="WriteStatus.RecordTooLarge"/>) without allocating the size asked for. A refused record leaves
/// the channel unchanged.
/// </para>
/// </remarks>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "RecordMemory holds nothing to release; its lifetime is the write's, checked on every use.")]
public sealed unsafe class RecordBuffer : IBufferWriter<byte>
{
    private readonly byte* _data;
    private readonly RecordMemory _memory;
    private int _start;
    private int _limit;
    private int _written;
    private bool _overflowed;

    // On overflow: the record length the append that overflowed asked for (a lower bound of what the record needed).
    private long _needed;
    private bool _active;

    internal RecordBuffer(byte* data)
    {
        _data = data;
        _memory = new RecordMemory(this);
    }

    /// <summary>Bytes written to the record so far.</summary>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public int WrittenCount
    {
        get
        {
            ThrowIfInactive();
            return _written;
        }
    }

    /// <summary>The most bytes this record may hold.</summary>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public int Limit
    {
        get
        {
            ThrowIfInactive();
            return _limit;
        }
    }

    /// <summary>Bytes still free in the record (0 once overflowed).</summary>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public int FreeCapacity
    {
        get
        {
            ThrowIfInactive();
            return Free;
        }
    }

    /// <summary>Whether the record outgrew <see cref="Limit"/>; such a record is refused.</summary>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public bool IsOverflowed
    {
        get
        {
            ThrowIfInactive();
            return _overflowed;
        }
    }

    /// <summary>
    /// The bytes written to the record so far, for handlers that post-process them (a checksum, say).
    /// </summary>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public ReadOnlySpan<byte> WrittenSpan
    {
        get
        {
            ThrowIfInactive();
            // Safe: the write is running, so the mapping is held; [_start, _start + _written) lies inside the
            // data area because _written never exceeds _limit, which the writer bounds by the space left.
            return new(_data + _start, _written);
        }
    }

    /// <summary>The free part of the current record, or 0 once it overflowed.</summary>
    private int Free => _overflowed ? 0 : _limit - _written;

    /// <summary>Appends <paramref name="bytes"/>, or overflows the record if they do not fit.</summary>
    /// <param name="bytes">The bytes to append.</param>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        ThrowIfInactive();
        if (bytes.Length > Free)
        {
            Overflow(bytes.Length);
            return;
        }

        // Safe: the write is running (the mapping is held) and bytes.Length <= _limit - _written.
        bytes.CopyTo(new Span<byte>(_data + _start + _written, bytes.Length));
        _written += bytes.Length;
    }

    /// <summary>Appends <paramref name="value"/> as 8 little-endian bytes, or overflows the record if they do not fit.</summary>
    /// <param name="value">The value to append.</param>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public void WriteUInt64LittleEndian(ulong value)
    {
        ThrowIfInactive();
        if (Free < sizeof(ulong))
        {
            Overflow(sizeof(ulong));
            return;
        }

        // Safe: as in Write, 8 <= _limit - _written.
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(_data + _start + _written, sizeof(ulong)), value);
        _written += sizeof(ulong);
    }

    /// <summary>Confirms that <paramref name="count"/> more bytes were written into the last span or memory returned.</summary>
    /// <param name="count">Bytes written.</param>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public void Advance(int count)
    {
        ThrowIfInactive();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_overflowed)
        {
            return;
        }

        if (count > _limit - _written)
        {
            Overflow(count);
            return;
        }

        _written += count;
    }

    /// <summary>
    /// Returns the free part of the record, at least <paramref name="sizeHint"/> bytes (at least one when 0).
    /// Valid until the next call on this buffer and never after the write returns.
    /// </summary>
    /// <param name="sizeHint">The bytes the caller needs.</param>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    /// <remarks>
    /// When the record cannot take <paramref name="sizeHint"/> more bytes, the call ends the write: it throws an
    /// exception that the writer turns into <see cref="WriteStatus.RecordTooLarge"/> (let it propagate), and
    /// nothing is allocated.
    /// </remarks>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        int free = CheckedFree(sizeHint);
        // Safe: the write is running (the mapping is held) and [_start + _written, _start + _limit) is the
        // record's own area inside the data area.
        return new Span<byte>(_data + _start + _written, free);
    }

    /// <summary>
    /// As <see cref="GetSpan"/>, as memory. The memory is checked whenever its span is taken: after the write
    /// returns, <see cref="Memory{T}.Span"/> throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="sizeHint">The bytes the caller needs.</param>
    /// <exception cref="InvalidOperationException">The write that handed out this buffer has returned.</exception>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        int free = CheckedFree(sizeHint);
        return _memory.Slice(_written, free);
    }

    /// <summary>Opens the buffer for one write: the record starts at data offset <paramref name="start"/> and may hold <paramref name="limit"/> bytes.</summary>
    internal void Begin(int start, int limit)
    {
        _start = start;
        _limit = limit;
        _written = 0;
        _overflowed = false;
        _active = true;
    }

    /// <summary>Closes the buffer at the end of its write: every later use throws.</summary>
    internal void End() => _active = false;

    /// <summary>Whether the record overflowed, for the writer (no activity check).</summary>
    internal bool Overflowed => _overflowed;

    /// <summary>
    /// After an overflow, the length the record asked for when it overflowed: a lower bound of the length it needed, which
    /// tells a record that would fit an empty channel from one larger than the max record length.
    /// </summary>
    internal long Needed => _needed;

    /// <summary>The record's length so far, for the writer (no activity check).</summary>
    internal int Length => _written;

    /// <summary>
    /// Restores the record's area to zeros, as it was before the write: an encoder may have written
    /// anywhere in the spans it was given.
    /// </summary>
    // Safe: called by the writer inside the write, and [_start, _start + _limit) is the record's own area.
    internal void Discard() => new Span<byte>(_data + _start, _limit).Clear();

    /// <summary>The record's own area, for <see cref="RecordMemory"/>: throws once the write returned.</summary>
    internal Span<byte> RecordArea()
    {
        ThrowIfInactive();
        // Safe: as in GetSpan.
        return new Span<byte>(_data + _start, _limit);
    }

    /// <summary>A pointer to the record's area, for <see cref="RecordMemory"/>: throws once the write returned.</summary>
    internal byte* RecordPointer(int offset)
    {
        ThrowIfInactive();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, _limit);
        return _data + _start + offset;
    }

    private int CheckedFree(int sizeHint)
    {
        ThrowIfInactive();
        int free = Free;
        if (Math.Max(sizeHint, 1) > free)
        {
            OverflowAndThrow(sizeHint);
        }

        return free;
    }

    // Cold (not inlined): the overflow paths stay out of line, so an encoder's inlined GetSpan/Advance falls through on its hot path.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OverflowAndThrow(int sizeHint)
    {
        Overflow(Math.Max(sizeHint, 1));
        ThrowRecordOverflow(sizeHint, _limit);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Overflow(int requested)
    {
        if (!_overflowed)
        {
            _needed = (long)_written + requested;
        }

        _overflowed = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfInactive()
    {
        if (!_active)
        {
            ThrowInactive();
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInactive() =>
        throw new InvalidOperationException("A RecordBuffer is valid only inside the write that handed it out, on the writing thread; this write has returned.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRecordOverflow(int sizeHint, int limit) => throw new RecordOverflowException(sizeHint, limit);
}
