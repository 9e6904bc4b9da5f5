using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Kekbit.Core;
using Kekbit.Tool.Channels;

namespace Kekbit.Tool.Commands;

/// <summary>
/// Arguments and options several commands share, built fresh for each command. Every value is parsed here, by
/// parsers that report a usage error (one line, exit code 2) for anything that does not parse or is out of range:
/// a command's body only ever sees valid values.
/// </summary>
internal static class CommonArguments
{
    public static Argument<string[]> Channel()
    {
        var channel = new Argument<string[]>("channel")
        {
            Arity = new ArgumentArity(1, 2),
            HelpName = ChannelLocator.HelpName,
            Description = "The channel: its root folder and id (decimal or 0x hex), or the path of its .kekbit file.",
        };
        channel.Validators.Add(RejectEmptyWords);
        return channel;
    }

    /// <summary>A folder argument (ROOT); an empty word or an existing file is a usage error.</summary>
    public static Argument<string> Folder(string name, string description)
    {
        var folder = new Argument<string>(name) { HelpName = name.ToUpperInvariant(), Description = description };
        folder.Validators.Add(RejectEmptyWords);
        folder.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && File.Exists(result.Tokens[0].Value))
            {
                result.AddError($"'{result.Tokens[0].Value}' is a file, not a folder: {folder.HelpName} is the folder that holds channels (kekbit info FILE shows one channel)");
            }
        });
        return folder;
    }

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON document instead of text, for scripts; errors too, as {\"error\", \"exitCode\"}.",
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

            result.AddError($"'{text}' is not a valid {name}: use a decimal number or 0x hex, up to 64 bits");
            return 0;
        },
    };

    /// <summary>
    /// A whole-number option that accepts only <paramref name="min"/> to <paramref name="max"/>; anything else
    /// (empty, not a number, out of range, past the type's limits) is a usage error naming the range.
    /// </summary>
    public static Option<T> Number<T>(string name, string? alias, T min, T max, T defaultValue, string description)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        string[] aliases = alias is null ? [] : [alias];
        return new Option<T>(name, aliases)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseNumber(result, name, min, max) ?? defaultValue,
        };
    }

    /// <summary>Like <see cref="Number{T}"/> for an option that may be absent (null).</summary>
    public static Option<T?> OptionalNumber<T>(string name, string? alias, T min, T max, string description)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        string[] aliases = alias is null ? [] : [alias];
        return new Option<T?>(name, aliases)
        {
            Description = description,
            HelpName = "N",
            CustomParser = result => ParseNumber(result, name, min, max),
        };
    }

    /// <summary>An option naming a tick unit: secs, millis, micros or nanos (numbers are refused: they are ambiguous).</summary>
    public static Option<TickUnit> TickUnitOption(string name, TickUnit defaultValue, string description) => new(name)
    {
        Description = description + " One of secs, millis, micros, nanos.",
        HelpName = "secs|millis|micros|nanos",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
            foreach (TickUnit unit in Enum.GetValues<TickUnit>())
            {
                if (string.Equals(text, unit.ToString(), StringComparison.OrdinalIgnoreCase))
                {
                    return unit;
                }
            }

            result.AddError($"'{text}' is not a valid {name}: use secs, millis, micros or nanos");
            return defaultValue;
        },
    };

    /// <summary>Resolves the channel argument's words to a channel file.</summary>
    public static string ChannelFile(ParseResult parse, Argument<string[]> channel) =>
        ChannelLocator.Resolve(parse.GetValue(channel) ?? []);

    private static T? ParseNumber<T>(ArgumentResult result, string name, T min, T max)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out T value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(string.Create(CultureInfo.InvariantCulture, $"'{text}' is not a valid {name}: use a whole number from {min} to {max}"));
        return null;
    }

    private static void RejectEmptyWords(ArgumentResult result)
    {
        foreach (Token token in result.Tokens)
        {
            if (token.Value.Length == 0)
            {
                result.AddError($"the {result.Argument.Name} argument is empty: name a folder or a file");
                return;
            }
        }
    }
}
