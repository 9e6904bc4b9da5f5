using System.Buffers.Binary;
using System.Globalization;

namespace Kekbit.Tool.Input;

/// <summary>
/// Length-prefixed binary frames, one record each: a u32 little-endian length, then that many bytes.
/// Reuses one buffer: no allocation per frame.
/// </summary>
internal sealed class FrameRecordSource : IRecordSource
{
    private readonly Stream _input;
    private readonly int _maxLength;
    private readonly byte[] _buffer;
    private long _frame;

    /// <param name="input">The frames.</param>
    /// <param name="maxLength">The longest record the channel takes; a longer frame is an error.</param>
    public FrameRecordSource(Stream input, int maxLength)
    {
        _input = input;
        _maxLength = maxLength;
        _buffer = new byte[Math.Max(maxLength, sizeof(uint))];
    }

    public bool TryRead(out ReadOnlyMemory<byte> record)
    {
        record = default;
        int headerBytes = _input.ReadAtLeast(_buffer.AsSpan(0, sizeof(uint)), sizeof(uint), throwOnEndOfStream: false);
        if (headerBytes == 0)
        {
            return false;
        }

        _frame++;
        if (headerBytes < sizeof(uint))
        {
            throw new ToolException(ExitCodes.Refused, Text($"the input ends inside the length of frame {_frame}"));
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer);
        if (length > (uint)_maxLength)
        {
            throw new ToolException(ExitCodes.Refused, Text($"frame {_frame} holds {length} bytes, more than the channel's max record length of {_maxLength}"));
        }

        if (_input.ReadAtLeast(_buffer.AsSpan(0, (int)length), (int)length, throwOnEndOfStream: false) < length)
        {
            throw new ToolException(ExitCodes.Refused, Text($"the input ends inside frame {_frame} ({length} bytes announced)"));
        }

        record = new ReadOnlyMemory<byte>(_buffer, 0, (int)length);
        return true;
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
