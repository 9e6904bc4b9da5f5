using System.Reactive.Linq;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Reactive;

namespace Kekbit.Demo;

/// <summary>A reader process that consumes the channel through an Rx operator pipeline.</summary>
internal static class RxReaderRole
{
    public static async Task<int> Run(string root)
    {
        var reader = new TimeoutReader(ShmReader.OpenWhenReady(root, Roles.ChannelId, DemoSettings.Deadline));
        var stats = new ReaderStats(Roles.RxReader, "reader.ToObservable().Select().Buffer(50 ms, 4096).Aggregate()");
        Roles.Say(Roles.Ready);
        try
        {
            // The subscription owns the reader: it polls on its own thread, completes when the channel closes,
            // and disposes the reader at the end. Select copies what we need out of each zero-copy record.
            ReaderStats result = await reader.ToObservable()
                .Select(record => Received.From(record.Span))
                .Buffer(TimeSpan.FromMilliseconds(50), 4096)
                .Aggregate(stats, (tally, batch) => tally.AddAll(batch));
            Roles.Say(Roles.Progress + result.Records);
            Roles.Say(Roles.Result + JsonSerializer.Serialize(result.ToReport("Closed")));
            return 0;
        }
        catch (ChannelReadException e)
        {
            Roles.Say(Roles.Result + JsonSerializer.Serialize(stats.ToReport(e.Message)));
            return 1;
        }
    }
}
