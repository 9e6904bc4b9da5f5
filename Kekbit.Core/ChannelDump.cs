using System.Buffers;
using System.Globalization;

namespace Kekbit.Core;

/// <summary>
/// Writes a channel's records as text, one line per record: <c>&lt;length&gt; &lt;lowercase hex of the payload&gt;</c>
/// (just <c>0</c> for an empty record), then <c>END &lt;Closed|Nothing|Timeout|Failed&gt; position=&lt;position&gt;</c>.
/// This is the format of the fixtures' <c>expected.txt</c> files and of <c>kekbit dump</c>. Lines end with <c>\n</c>.
/// </summary>
public static class ChannelDump
{
    /// <summary>Digits of the longest payload length (<see cref="int.MaxValue"/>).</summary>
    private const int MaxLengthDigits = 10;

    /// <summary>Lines up to this many characters are formatted on the stack (payloads up to about 1 KiB).</summary>
    private const int StackLineLimit = 2048;

    /// <summary>Reads every record available now from <paramref name="reader"/> and writes the dump to <paramref name="output"/>.</summary>
    /// <param name="reader">The reader; read from its current position until a read finds no record.</param>
    /// <param name="output">Where the text goes.</param>
    /// <returns>The read that ended the dump (its status is the END line's).</returns>
    public static ReadResult Write(IReader reader, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(output);
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            WriteRecord(result.Span, output);
        }

        WriteEnd(result, output);
        return result;
    }

    /// <summary>Writes one record line: its length, then a space and its payload in lowercase hex unless it is empty.</summary>
    /// <param name="payload">The record's payload.</param>
    /// <param name="output">Where the text goes.</param>
    public static void WriteRecord(ReadOnlySpan<byte> payload, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        // The line is formatted into one buffer (the stack for usual records), so dumping millions of
        // records allocates nothing per record.
        int lineLength = MaxLengthDigits + 1 + (payload.Length * 2) + 1;
        char[]? rented = null;
        Span<char> line = lineLength <= StackLineLimit
            ? stackalloc char[StackLineLimit]
            : (rented = ArrayPool<char>.Shared.Rent(lineLength));
        try
        {
            payload.Length.TryFormat(line, out int used, provider: CultureInfo.InvariantCulture);
            if (!payload.IsEmpty)
            {
                line[used++] = ' ';
                Convert.TryToHexStringLower(payload, line[used..], out int hexLength);
                used += hexLength;
            }

            line[used++] = '\n';
            output.Write(line[..used]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Writes the closing line: <c>END &lt;status&gt; position=&lt;position&gt;</c>.</summary>
    /// <param name="last">The read that found no record.</param>
    /// <param name="output">Where the text goes.</param>
    public static void WriteEnd(ReadResult last, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(string.Create(CultureInfo.InvariantCulture, $"END {last.Status} position={last.Position}\n"));
    }
}
