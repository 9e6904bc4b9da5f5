using System.Globalization;
using Kekbit.Core;

namespace Kekbit.Tool.Output;

/// <summary>How values are spelled in the tool's output: the same words in tables and JSON.</summary>
internal static class Names
{
    public static string Of(ChannelState state) => state.ToString().ToLowerInvariant();

    public static string Of(Kekbit.Journal.JournalState state) => state.ToString().ToLowerInvariant();

    public static string Of(Kekbit.Journal.JournalError error) => error switch
    {
        Kekbit.Journal.JournalError.SegmentDamaged => "damaged segment",
        Kekbit.Journal.JournalError.InvalidSegmentHeader => "invalid segment header",
        Kekbit.Journal.JournalError.Gap => "sequence gap",
        _ => error.ToString(),
    };

    public static string Of(TickUnit unit) => unit.ToString().ToLowerInvariant();

    public static string Decimal(ulong id) => id.ToString(CultureInfo.InvariantCulture);

    public static string Hex(ulong id) => string.Create(CultureInfo.InvariantCulture, $"0x{id:x}");

    /// <summary>A byte count for people: 1536 is "1.5 KiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    /// <summary>A number with thousands separators, culture-independent.</summary>
    public static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Percent(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0.0}%");
}
