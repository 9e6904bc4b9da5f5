using System.Text.Json;
using Kekbit.Core;
using Kekbit.Reactive;

namespace Kekbit.Demo;

/// <summary>A reader process that consumes the channel with <c>await foreach</c> over <c>ReadAllAsync()</c>.</summary>
internal static class AsyncReaderRole
{
    public static async Task<int> Run(string root)
    {
        using var reader = new TimeoutReader(ShmReader.OpenWhenReady(root, Roles.ChannelId, DemoSettings.Deadline));
        var stats = new ReaderStats(Roles.AsyncReader, "await foreach (var r in reader.ReadAllAsync())");
        Roles.Say(Roles.Ready);
        string end = "Closed";
        try
        {
            // Waits without holding a thread when nothing is there; ends when the writer closes the channel.
            await foreach (Record record in reader.ReadAllAsync())
            {
                stats.Add(Received.From(record.Span));
            }
        }
        catch (ChannelReadException e)
        {
            end = e.Message;
        }

        Roles.Say(Roles.Progress + stats.Records);
        Roles.Say(Roles.Result + JsonSerializer.Serialize(stats.ToReport(end)));
        return end == "Closed" ? 0 : 1;
    }
}
