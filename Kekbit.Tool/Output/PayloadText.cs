using System.Buffers;
using System.Text;

namespace Kekbit.Tool.Output;

/// <summary>
/// Prints a payload as one line of text: UTF-8 decoded, with control characters, backslashes and invalid
/// bytes escaped (<c>\n</c>, <c>\\</c>, <c>\x00</c>), so every record stays on one line. Allocates nothing.
/// </summary>
internal static class PayloadText
{
    public static void Write(ReadOnlySpan<byte> payload, TextWriter output)
    {
        Span<char> chars = stackalloc char[2];
        while (!payload.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf8(payload, out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                WriteHexEscape(payload[0], output);
                payload = payload[1..];
                continue;
            }

            payload = payload[consumed..];
            switch (rune.Value)
            {
                case '\\':
                    output.Write("\\\\");
                    break;
                case '\n':
                    output.Write("\\n");
                    break;
                case '\r':
                    output.Write("\\r");
                    break;
                case '\t':
                    output.Write("\\t");
                    break;
                default:
                    if (Rune.IsControl(rune))
                    {
                        WriteHexEscape((byte)rune.Value, output);
                    }
                    else
                    {
                        int length = rune.EncodeToUtf16(chars);
                        output.Write(chars[..length]);
                    }

                    break;
            }
        }
    }

    private static void WriteHexEscape(byte value, TextWriter output)
    {
        const string Digits = "0123456789abcdef";
        output.Write('\\');
        output.Write('x');
        output.Write(Digits[value >> 4]);
        output.Write(Digits[value & 0xF]);
    }
}
