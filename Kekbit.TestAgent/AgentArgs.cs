using System.Globalization;

namespace Kekbit.TestAgent;

/// <summary>The command line of one agent command: positional ROOT and CHANNEL_ID, then options.</summary>
internal sealed class AgentArgs(string[] args)
{
    public string Root => args[1];

    public ulong ChannelId => ParseId(args[2]);

    public string Positional(int index) => args[index];

    public bool Has(string flag) => args.Contains(flag);

    public long Long(string name, long fallback) => Text(name) is string text ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public string? Text(string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static ulong ParseId(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : ulong.Parse(text, CultureInfo.InvariantCulture);
}
