using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using HdrHistogram;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Reactive;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// One-way latency across processes at a fixed rate: a writer process stamps each 32-byte record with the
/// time it was due (so a stall delays every later record's latency: no coordinated omission) and the time it published
/// it, the reader (this process) records arrival minus due time, and arrival minus publish time, in HdrHistograms (see
/// <see cref="LatencyStamps"/>). The same for a Unix domain socket.
/// </summary>
internal static class LatencyWorkloads
{
    public const int PayloadSize = 32;

    /// <summary>
    /// A latency distribution: the summary percentiles in nanoseconds (from each record's due time), the curve (percentile,
    /// nanoseconds) the plots draw, and, where the writer stamped it, the percentiles from its publish time instead: the
    /// difference is the pacing writer's own lateness (a writer woken late by the scheduler publishes late).
    /// </summary>
    public sealed record Result(string Transport, long Count, double P50, double P99, double P999, double P9999, double Max, IReadOnlyList<(double Percentile, double Nanos)> Distribution)
    {
        /// <summary>Arrival minus publish time, p50 / p99 / p99.9 in nanoseconds; null where the writer does not stamp it.</summary>
        public (double P50, double P99, double P999)? FromPublish { get; init; }
    }

    /// <summary>The percentiles of each distribution's curve.</summary>
    private static readonly double[] CurvePercentiles = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999];

    private static double TicksToNanos(long ticks) => ticks * 1e9 / Stopwatch.Frequency;

    /// <summary>
    /// Reads <paramref name="count"/> records from a writer process, idling with <paramref name="idle"/> between empty polls
    /// (reset on data), or, with <paramref name="idle"/> null, sleeping on the channel's doorbell (<see cref="ShmReader.WaitForData"/>).
    /// </summary>
    public static Result Kekbit(TempRoot scratch, ulong channelId, long count, int rate, string name, IIdleStrategy? idle)
    {
        using Process writer = SelfProcess.Start("latency-writer", scratch.Path, channelId.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture));
        SelfProcess.ExpectLine(writer, "READY");
        using ShmReader reader = ShmReader.OpenWhenReady(scratch.Path, channelId, TimeSpan.FromSeconds(30));
        var stamps = new LatencyStamps(warmup: count / 10);
        writer.StandardInput.WriteLine("GO");
        writer.StandardInput.Flush();
        while (true)
        {
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                stamps.Record(result.Span);
                idle?.Reset();
                continue;
            }

            if (result.IsFinal)
            {
                break;
            }

            if (idle is null)
            {
                reader.WaitForData(TimeSpan.FromSeconds(1));
            }
            else
            {
                idle.Idle();
            }
        }

        writer.WaitForExit();
        if (idle is null)
        {
            // Wake-ups that came by the futex timeout alone, with a record waiting: lost rings (expected: none).
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ({name}: {reader.DoorbellSleeps} doorbell sleeps, {reader.TimeoutWakeups} woken only by their timeout with a record waiting)"));
        }

        return stamps.Summarise(name);
    }

    /// <summary>
    /// The same measurement through a reactive source with its defaults (no options: on a channel with a doorbell the
    /// source sleeps on it): <paramref name="source"/> is "observable" (<c>reader.ToObservable()</c>) or "async"
    /// (<c>await foreach</c> over <c>reader.ReadAllAsync()</c>).
    /// </summary>
    public static Result KekbitSource(TempRoot scratch, ulong channelId, long count, int rate, string name, string source)
    {
        using Process writer = SelfProcess.Start("latency-writer", scratch.Path, channelId.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture));
        SelfProcess.ExpectLine(writer, "READY");
        ShmReader reader = ShmReader.OpenWhenReady(scratch.Path, channelId, TimeSpan.FromSeconds(30));
        var stamps = new LatencyStamps(warmup: count / 10);
        void Record(ReadOnlySpan<byte> payload) => stamps.Record(payload);

        writer.StandardInput.WriteLine("GO");
        writer.StandardInput.Flush();
        if (source == "observable")
        {
            using var done = new ManualResetEventSlim();
            using (reader.ToObservable().Subscribe(record => Record(record.Span), _ => done.Set(), done.Set))
            {
                done.Wait();
            }
        }
        else
        {
            using (reader)
            {
                Task.Run(async () =>
                {
                    await foreach (Record record in reader.ReadAllAsync())
                    {
                        Record(record.Span);
                    }
                }).GetAwaiter().GetResult();
            }
        }

        writer.WaitForExit();
        return stamps.Summarise(name);
    }

    /// <summary>Role of the writer process for <see cref="Kekbit"/>.</summary>
    public static int Writer(string root, ulong channelId, long count, int rate)
    {
        var metadata = Metadata.Create(1, channelId, (int)Math.Min(Metadata.MaxCapacity, (count + 2) * 40), PayloadSize, 60_000, TickUnit.Millis);
        using var writer = ShmWriter.Create(root, metadata, options: new ShmWriterOptions { PreTouch = true });
        Console.WriteLine("READY");
        Console.In.ReadLine();
        byte[] payload = new byte[PayloadSize];
        Pacer.Run(count, rate, due =>
        {
            LatencyStamps.Stamp(payload, due);
            writer.Write(payload);
        });
        Console.Error.WriteLine(Pacer.LastSummary);
        return 0;
    }

    /// <summary>The same measurement over a Unix domain stream socket (blocking receive).</summary>
    public static Result UnixSocket(TempRoot scratch, long count, int rate)
    {
        string path = Path.Combine(scratch.Path, "latency.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using Process writer = SelfProcess.Start("uds-writer", path, count.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture));
        using Socket connection = listener.Accept();
        var stamps = new LatencyStamps(warmup: count / 10);
        byte[] message = new byte[PayloadSize];
        for (long seen = 0; seen < count; seen++)
        {
            for (int got = 0; got < PayloadSize;)
            {
                int n = connection.Receive(message, got, PayloadSize - got, SocketFlags.None);
                if (n == 0)
                {
                    throw new InvalidOperationException("The socket writer closed early.");
                }

                got += n;
            }

            stamps.Record(message);
        }

        writer.WaitForExit();
        return stamps.Summarise("Unix domain socket (blocking receive)");
    }

    /// <summary>Role of the writer process for <see cref="UnixSocket"/>.</summary>
    public static int SocketWriter(string path, long count, int rate)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        byte[] message = new byte[PayloadSize];
        Pacer.Run(count, rate, due =>
        {
            LatencyStamps.Stamp(message, due);
            socket.Send(message);
        });
        return 0;
    }

    internal static Result Summarise(string transport, LongHistogram histogram) => new(
        transport,
        histogram.TotalCount,
        histogram.GetValueAtPercentile(50),
        histogram.GetValueAtPercentile(99),
        histogram.GetValueAtPercentile(99.9),
        histogram.GetValueAtPercentile(99.99),
        histogram.GetMaxValue(),
        [.. CurvePercentiles.Select(p => (p, (double)histogram.GetValueAtPercentile(p))), (100.0, (double)histogram.GetMaxValue())]);
}
