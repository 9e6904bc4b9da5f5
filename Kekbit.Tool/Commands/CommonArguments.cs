using System.CommandLine;
using Kekbit.Tool.Channels;

namespace Kekbit.Tool.Commands;

/// <summary>Arguments and options several commands share, built fresh for each command.</summary>
internal static class CommonArguments
{
    public static Argument<string[]> Channel() => new("channel")
    {
        Arity = new ArgumentArity(1, 2),
        HelpName = ChannelLocator.HelpName,
        Description = "The channel: its root folder and id (decimal or 0x hex), or the path of its .kekbit file.",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON document instead of text, for scripts.",
    };

    /// <summary>An argument parsed as a decimal or 0x hex id; anything else is a usage error.</summary>
    public static Argument<ulong> Id(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (ChannelLocator.TryParseId(text, out ulong id))
            {
                return id;
            }

            result.AddError($"'{text}' is not a valid {name}: use a decimal number or 0x hex, up to 64 bits.");
            return 0;
        },
    };

    /// <summary>Resolves the channel argument's words to a channel file.</summary>
    public static string ChannelFile(ParseResult parse, Argument<string[]> channel) =>
        ChannelLocator.Resolve(parse.GetValue(channel) ?? []);
}
