using System.Globalization;
using System.Reactive.Linq;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.TestSupport;
using static Kekbit.TestAgent.AgentCommands;

namespace Kekbit.TestAgent;

/// <summary>The <c>pipe</c> command: Rx middleware from one channel into another (see Program.cs).</summary>
internal static class PipeCommand
{
    public static int Run(AgentArgs args)
    {
        ulong output = AgentArgs.ParseId(args.Positional(3));
        var openTimeout = TimeSpan.FromMilliseconds(args.Long("--open-timeout-ms", 30_000));
        long keepEvery = args.Long("--keep-every", 1);
        var reader = new TimeoutReader(ShmReader.OpenWhenReady(args.Root, args.ChannelId, openTimeout));
        Metadata source = reader.Metadata;
        var writer = ShmWriter.Create(args.Root, Metadata.Create(2, output, source.Capacity, source.MaxRecordLength, 10_000, TickUnit.Millis));
        Say("READY");
        ChannelObserver<Record> sink = writer.AsObserver();

        // The whole middleware: channel IN, through Rx operators, into channel OUT.
        using IDisposable pipe = reader.ToObservable().Where(record => IndexOf(record) % keepEvery == 0).Subscribe(sink);

        try
        {
            sink.Completion.Wait();
        }
        catch (AggregateException e)
        {
            Say($"PIPE-FAILED {e.InnerException?.Message}");
            return 1;
        }

        Say(string.Create(CultureInfo.InvariantCulture, $"PIPED count={sink.Written}"));
        return 0;
    }

    private static long IndexOf(Record record) => RecordPattern.IsIntact(record.Span, out ulong index) ? (long)index : -1;
}
