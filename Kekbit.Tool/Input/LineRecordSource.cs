namespace Kekbit.Tool.Input;

/// <summary>
/// One record per input line, without its line ending (<c>\n</c>, or <c>\r\n</c>); an empty line is an empty
/// record, and a last line without a newline is a record too. Bytes are taken as they are, whatever the encoding.
/// Reuses one buffer: no allocation per line.
/// </summary>
internal sealed class LineRecordSource : IRecordSource
{
    private readonly Stream _input;
    private readonly int _maxLength;
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private bool _endOfInput;
    private long _line;

    /// <param name="input">The bytes to split.</param>
    /// <param name="maxLength">The longest record the channel takes; a longer line is an error, reported without reading it whole.</param>
    public LineRecordSource(Stream input, int maxLength)
    {
        _input = input;
        _maxLength = maxLength;
    }

    public bool TryRead(out ReadOnlyMemory<byte> record)
    {
        int searched = 0;
        while (true)
        {
            int newline = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = searched + newline;
                record = Take(length, length + 1);
                return true;
            }

            searched = _end - _start;
            if (_endOfInput)
            {
                if (searched == 0)
                {
                    record = default;
                    return false;
                }

                record = Take(searched, searched);
                return true;
            }

            // +2: room for the longest allowed line and its "\r\n".
            if (searched > _maxLength + 2)
            {
                throw new ToolException(ExitCodes.Refused, $"line {_line + 1} is longer than the channel's max record length of {_maxLength} bytes");
            }

            Fill();
        }
    }

    private ReadOnlyMemory<byte> Take(int length, int consumed)
    {
        _line++;
        if (length > 0 && _buffer[_start + length - 1] == '\r')
        {
            length--;
        }

        var record = new ReadOnlyMemory<byte>(_buffer, _start, length);
        _start += consumed;
        return record;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            // Move the partial line to the front; the caller has finished with earlier records.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = _input.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfInput = true;
        }

        _end += read;
    }
}
