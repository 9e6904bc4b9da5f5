// A child process for cross-process tests. Commands (all print progress lines on stdout, flushed):
//   write ROOT CHANNEL_ID COUNT [--size N] [--no-close] [--capacity N] [--timeout-ms N]
//       creates the channel, prints "READY", writes COUNT pattern records (RecordPattern), printing
//       "PUBLISHED n" every --every records (default 1000) and at the end, then closes (unless --no-close,
//       in which case it waits for its standard input to close before exiting without closing).
//   read ROOT CHANNEL_ID [--open-timeout-ms N] [--dump] [--expect N]
//       opens the channel when ready, reads until closed/timeout/failure with a TimeoutReader, checking every
//       record is intact and in order; prints "READ count=.. checksum=.. end=.. position=.. intact=true|false".
//   pipe ROOT IN OUT [--open-timeout-ms N] [--keep-every K]
//       middleware: opens channel IN when ready, creates channel OUT (same capacity and max record length),
//       prints "READY", and pipes IN into OUT through Rx operators (keeping the pattern records whose index is a
//       multiple of K, default 1); OUT is closed when IN closes. Prints "PIPED count=N", or "PIPE-FAILED error".
using System.Globalization;
using System.Reactive.Linq;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.TestSupport;

return args.Length > 0 ? args[0] switch
{
    "write" => Write(args),
    "read" => Read(args),
    "pipe" => Pipe(args),
    _ => Usage(),
} : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: write ROOT CHANNEL COUNT [options] | read ROOT CHANNEL [options] | pipe ROOT IN OUT [options]");
    return 2;
}

static string? Option(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static long OptionLong(string[] args, string name, long fallback) =>
    Option(args, name) is string text ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

static ulong ParseId(string text) =>
    text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        ? ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
        : ulong.Parse(text, CultureInfo.InvariantCulture);

static int Write(string[] args)
{
    string root = args[1];
    ulong channel = ParseId(args[2]);
    long count = long.Parse(args[3], CultureInfo.InvariantCulture);
    int size = (int)OptionLong(args, "--size", 32);
    long every = OptionLong(args, "--every", 1000);
    int capacity = (int)OptionLong(args, "--capacity", Math.Min(Metadata.MaxCapacity, (count + 1) * ((size + 15) & ~7)));
    long timeoutMs = OptionLong(args, "--timeout-ms", 10_000);
    bool close = !args.Contains("--no-close");
    var metadata = Metadata.Create(1, channel, capacity, size, (ulong)timeoutMs, TickUnit.Millis);
    var writer = ShmWriter.Create(root, metadata);
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    Span<byte> payload = stackalloc byte[size];
    long published = 0;
    for (long i = 0; i < count; i++)
    {
        RecordPattern.Fill(payload, (ulong)i);
        WriteResult result = writer.Write(payload);
        if (!result.IsSuccess)
        {
            Console.Out.WriteLine($"WRITE-FAILED {i} {result.Status}");
            break;
        }

        published++;
        if (published % every == 0)
        {
            Console.Out.WriteLine($"PUBLISHED {published}");
            Console.Out.Flush();
        }
    }

    Console.Out.WriteLine($"PUBLISHED {published}");
    Console.Out.WriteLine("DONE");
    Console.Out.Flush();
    if (close)
    {
        writer.Dispose();
        Console.Out.WriteLine("CLOSED");
        Console.Out.Flush();
    }
    else
    {
        // Stay alive, unclosed, until the test closes our stdin or kills us.
        Console.In.ReadToEnd();
    }

    return 0;
}

static int Read(string[] args)
{
    string root = args[1];
    ulong channel = ParseId(args[2]);
    var openTimeout = TimeSpan.FromMilliseconds(OptionLong(args, "--open-timeout-ms", 30_000));
    bool dump = args.Contains("--dump");
    using var reader = new TimeoutReader(ShmReader.OpenWhenReady(root, channel, openTimeout));
    Console.Out.WriteLine("OPENED");
    Console.Out.Flush();
    long count = 0;
    ulong checksum = 0;
    bool intact = true;
    var idle = default(SpinWait);
    ReadResult result;
    while (true)
    {
        result = reader.TryRead();
        if (result.IsRecord)
        {
            idle = default;
            if (dump)
            {
                ChannelDump.WriteRecord(result.Span, Console.Out);
            }

            if (!RecordPattern.IsIntact(result.Span, out ulong index) || index != (ulong)count)
            {
                intact = false;
            }

            checksum = RecordPattern.Checksum(checksum, result.Span);
            count++;
            continue;
        }

        if (result.IsFinal)
        {
            break;
        }

        idle.SpinOnce(sleep1Threshold: 30);
    }

    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"READ count={count} checksum={checksum:x16} end={result.Status} position={result.Position} intact={(intact ? "true" : "false")}"));
    Console.Out.Flush();
    return intact ? 0 : 1;
}

static int Pipe(string[] args)
{
    string root = args[1];
    ulong input = ParseId(args[2]);
    ulong output = ParseId(args[3]);
    var openTimeout = TimeSpan.FromMilliseconds(OptionLong(args, "--open-timeout-ms", 30_000));
    long keepEvery = OptionLong(args, "--keep-every", 1);
    var reader = new TimeoutReader(ShmReader.OpenWhenReady(root, input, openTimeout));
    Metadata source = reader.Metadata;
    var writer = ShmWriter.Create(root, Metadata.Create(2, output, source.Capacity, source.MaxRecordLength, 10_000, TickUnit.Millis));
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    ChannelObserver<Record> sink = writer.AsObserver();

    // The whole middleware: channel IN, through Rx operators, into channel OUT.
    using IDisposable pipe = reader.ToObservable().Where(record => IndexOf(record) % keepEvery == 0).Subscribe(sink);

    try
    {
        sink.Completion.Wait();
    }
    catch (AggregateException e)
    {
        Console.Out.WriteLine($"PIPE-FAILED {e.InnerException?.Message}");
        return 1;
    }

    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PIPED count={sink.Written}"));
    Console.Out.Flush();
    return 0;
}

static long IndexOf(Record record) => RecordPattern.IsIntact(record.Span, out ulong index) ? (long)index : -1;
