using System.Diagnostics.Metrics;
using Kekbit.Core.Diagnostics;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The hot paths' cost with and without a listener on the <c>Kekbit</c> meter: <see cref="PathCost"/> run alternately
/// with no listener and with one that enables every Kekbit instrument and collects once a second on its own thread (as
/// an OpenTelemetry periodic reader or dotnet-counters does), so that drift on this shared machine hits both alike.
/// </summary>
internal static class MetricsCost
{
    public static int Run(int payloadSize, int rounds, int pairs)
    {
        for (int pair = 0; pair < pairs; pair++)
        {
            Console.Write("no listener:   ");
            PathCost.Run(payloadSize, rounds);
            using (Listen(out Thread collector, out CancellationTokenSource stop))
            {
                Console.Write("with listener: ");
                PathCost.Run(payloadSize, rounds);
                stop.Cancel();
                collector.Join();
            }
        }

        return 0;
    }

    private static MeterListener Listen(out Thread collector, out CancellationTokenSource stop)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == KekbitMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        long sink = 0;
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => sink += value);
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => sink += (long)value);
        listener.Start();
        var cancellation = new CancellationTokenSource();
        stop = cancellation;
        collector = new Thread(() =>
        {
            while (!cancellation.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                listener.RecordObservableInstruments();
            }

            GC.KeepAlive(sink);
        })
        { IsBackground = true, Name = "metrics collector" };
        collector.Start();
        return listener;
    }
}
