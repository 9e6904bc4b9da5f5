using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit bench</c>: a quick write then read throughput run on a temporary channel.</summary>
internal static class BenchCommand
{
    /// <summary>Progress is reported every this many records (a power of two: checked with a mask).</summary>
    private const long ProgressEvery = 1 << 14;

    public static Command Create(ToolConsole console)
    {
        var records = CommonArguments.Number("--records", "-r", 1, int.MaxValue, 1_000_000, "How many records to write and read.");
        var size = CommonArguments.Number("--size", "-s", 0, Metadata.MaxCapacity, 64, "Payload bytes per record.");
        size.HelpName = "BYTES";
        var folder = new Option<string?>("--folder") { Description = "Where to create the temporary channel (default: /dev/shm where present, else the temp folder). Everything bench creates there, missing folders included, is deleted afterwards.", HelpName = "DIR" };
        folder.Validators.Add(result =>
        {
            string? value = result.Tokens.Count == 0 ? null : result.Tokens[0].Value;
            if (value is not null && (value.Length == 0 || File.Exists(value)))
            {
                result.AddError(value.Length == 0 ? "--folder is empty: name a folder" : $"--folder '{value}' is a file, not a folder");
            }
        });
        var json = CommonArguments.Json();
        var command = new Command("bench", "Measure write and read throughput on a temporary channel, with progress; the channel is deleted afterwards.")
        {
            records,
            size,
            folder,
            json,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
            Run(console, parse.GetValue(records), parse.GetValue(size), parse.GetValue(folder), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static int Run(ToolConsole console, int records, int size, string? folder, bool json, CancellationToken cancellationToken)
    {
        // Room for every record and the close marker; a large payload may need more, for the channel's max record
        // length grows with its capacity: doubled until the channel takes it.
        long capacity = (records * RecordLayout.RecordSize(size)) + RecordLayout.HeaderLength;
        Metadata? metadata = null;
        while (capacity <= Metadata.MaxCapacity && (metadata = Metadata.Create(0, 1, (int)capacity, size, 10_000, TickUnit.Millis)).MaxRecordLength < size)
        {
            capacity = capacity == Metadata.MaxCapacity ? capacity + 1 : Math.Min(capacity * 2, Metadata.MaxCapacity);
        }

        if (capacity > Metadata.MaxCapacity || metadata is null)
        {
            throw new ToolException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"{records} records of {size} bytes need more than the largest channel, {Metadata.MaxCapacity} bytes: use fewer or smaller records"));
        }

        string parent = Path.GetFullPath(folder ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath()));
        string root = Path.Combine(parent, string.Create(CultureInfo.InvariantCulture, $"kekbit-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        // The folders the channel's creation will add above root: removed afterwards too, deepest first.
        List<string> created = MissingFolders(parent);
        try
        {
            Measurement[] results = console.IsInteractive && !json
                ? console.RichError.Progress().Start(context => Measure(root, metadata, records, size, context, cancellationToken))
                : Measure(root, metadata, records, size, null, cancellationToken);
            Print(console, results, records, size, json);
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            foreach (string missing in created)
            {
                if (Directory.Exists(missing) && !Directory.EnumerateFileSystemEntries(missing).Any())
                {
                    Directory.Delete(missing);
                }
            }
        }
    }

    /// <summary><paramref name="folder"/> and those of its parents that do not exist yet, deepest first.</summary>
    private static List<string> MissingFolders(string folder)
    {
        var missing = new List<string>();
        for (string? current = folder; current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Add(current);
        }

        return missing;
    }

    private static Measurement[] Measure(string root, Metadata metadata, int records, int size, ProgressContext? progress, CancellationToken cancellationToken)
    {
        ProgressTask? writing = progress?.AddTask("write", maxValue: records);
        ProgressTask? reading = progress?.AddTask("read", maxValue: records);
        byte[] payload = new byte[size];
        Random.Shared.NextBytes(payload);

        using var writer = ShmWriter.Create(root, metadata);
        long start = Stopwatch.GetTimestamp();
        for (long i = 1; i <= records; i++)
        {
            if (!writer.Write(payload).IsSuccess)
            {
                throw new ToolException(ExitCodes.Refused, string.Create(CultureInfo.InvariantCulture, $"the benchmark channel refused record {i}"));
            }

            if ((i & (ProgressEvery - 1)) == 0)
            {
                writing?.Value = i;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        TimeSpan writeTime = Stopwatch.GetElapsedTime(start);
        writing?.Value = records;
        writer.Dispose();

        using ShmReader reader = ShmReader.Open(root, metadata.ChannelId);
        long read = 0;
        long bytes = 0;
        start = Stopwatch.GetTimestamp();
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            bytes += result.Payload.Length;
            if ((++read & (ProgressEvery - 1)) == 0)
            {
                reading?.Value = read;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        TimeSpan readTime = Stopwatch.GetElapsedTime(start);
        reading?.Value = records;
        if (read != records || result.Status != ReadStatus.Closed)
        {
            throw new ToolException(ExitCodes.Damaged, string.Create(CultureInfo.InvariantCulture, $"the benchmark read {read} of {records} records and ended {result.Status}"));
        }

        return [new("write", records, (long)records * size, writeTime), new("read", read, bytes, readTime)];
    }

    private static void Print(ToolConsole console, Measurement[] results, int records, int size, bool json)
    {
        if (json)
        {
            JsonOutput.Write(console.Out, writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("records", records);
                writer.WriteNumber("payloadBytes", size);
                writer.WriteStartArray("phases");
                foreach (Measurement m in results)
                {
                    writer.WriteStartObject();
                    writer.WriteString("phase", m.Phase);
                    writer.WriteNumber("seconds", m.Time.TotalSeconds);
                    writer.WriteNumber("recordsPerSecond", Math.Round(m.RecordsPerSecond));
                    writer.WriteNumber("megabytesPerSecond", Math.Round(m.MegabytesPerSecond, 1));
                    writer.WriteNumber("nanosecondsPerRecord", Math.Round(m.NanosecondsPerRecord, 1));
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return;
        }

        var table = new Table().Border(TableBorder.None);
        table.AddColumns("PHASE", "RECORDS", "PAYLOAD", "TIME", "RECORDS/S", "MB/S", "NS/RECORD");
        for (int column = 1; column < 7; column++)
        {
            table.Columns[column].RightAligned();
        }

        foreach (Measurement m in results)
        {
            table.AddRow(
                m.Phase,
                Names.Count(m.Records),
                Names.Bytes(size),
                string.Create(CultureInfo.InvariantCulture, $"{m.Time.TotalMilliseconds:0.0} ms"),
                Names.Count((long)m.RecordsPerSecond),
                string.Create(CultureInfo.InvariantCulture, $"{m.MegabytesPerSecond:0.0}"),
                string.Create(CultureInfo.InvariantCulture, $"{m.NanosecondsPerRecord:0.0}"));
        }

        console.Write(table);
    }

    private sealed record Measurement(string Phase, long Records, long Bytes, TimeSpan Time)
    {
        public double RecordsPerSecond => Records / Time.TotalSeconds;

        public double MegabytesPerSecond => Bytes / Time.TotalSeconds / 1e6;

        public double NanosecondsPerRecord => Time.TotalNanoseconds / Records;
    }
}
