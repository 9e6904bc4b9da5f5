// A child process for the journal's cross-process tests. Every line of output is flushed at once.
//   write FOLDER TOTAL [--capacity N] [--batch N] [--pause-ms N]
//       opens the journal for writing (retrying while another writer holds it), prints "OPENED next=<sequence>", then
//       writes records until the journal holds TOTAL: record s carries s (8 bytes) and then s % 23 bytes of pattern.
//       After every batch (default 500) it prints "PUBLISHED <next sequence>" (every record below it is acknowledged),
//       sleeps --pause-ms (default 1), and at the end prints "DONE <total>" and closes the journal.
//   read FOLDER CURSOR OUTPUT TOTAL [--batch N]
//       effectively-once consumer: opens durable cursor CURSOR (retrying while its previous owner is still exiting), drops
//       a partial last line of OUTPUT, skips records whose sequence is at most OUTPUT's last line, appends "sequence\n"
//       per record, flushes the batch to OUTPUT, then commits the cursor. Checks each record's payload against its
//       sequence. Prints "PROCESSED <next sequence>" per batch and "DONE" once TOTAL records were processed.
//   hold FOLDER
//       opens the journal for writing and prints "WON", or prints "LOST <JournalError>"; a winner holds the journal until
//       its standard input closes.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kekbit.Core;
using Kekbit.Journal;

Console.Out.Flush();
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
try
{
    return args.Length > 1 ? args[0] switch
    {
        "write" => Write(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), Option("--capacity", 65536), Option("--batch", 500), Option("--pause-ms", 1)),
        "read" => Read(args[1], args[2], args[3], long.Parse(args[4], CultureInfo.InvariantCulture), Option("--batch", 1000)),
        "hold" => Hold(args[1]),
        _ => Usage(),
    } : Usage();
}
catch (JournalException e)
{
    output.WriteLine($"ERROR {e.Error} {e.Message}");
    return 3;
}

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

int Usage()
{
    Console.Error.WriteLine("usage: write FOLDER TOTAL [--capacity N] [--batch N] [--pause-ms N] | read FOLDER CURSOR OUTPUT TOTAL [--batch N] | hold FOLDER");
    return 2;
}

int Write(string folder, long total, int capacity, int batch, int pauseMs)
{
    using JournalWriter journal = Retry(() => JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = capacity, PreTouch = false }));
    output.WriteLine($"OPENED next={journal.NextSequence}");
    Span<byte> payload = stackalloc byte[8 + 22];
    while (journal.NextSequence < total)
    {
        for (int i = 0; i < batch && journal.NextSequence < total; i++)
        {
            long sequence = journal.NextSequence;
            int length = Fill(payload, sequence);
            WriteResult result = journal.Write(payload[..length]);
            if (!result.IsSuccess)
            {
                output.WriteLine($"REFUSED {result.Status} at {sequence}");
                return 4;
            }
        }

        output.WriteLine($"PUBLISHED {journal.NextSequence}");
        if (pauseMs > 0)
        {
            Thread.Sleep(pauseMs);
        }
    }

    output.WriteLine($"DONE {journal.NextSequence}");
    return 0;
}

int Read(string folder, string cursor, string outputFile, long total, int batch)
{
    long lastDone = LastCompleteLine(outputFile);
    using JournalReader reader = Retry(() => JournalReader.OpenCursor(folder, cursor));
    using var sink = new FileStream(outputFile, FileMode.Append, FileAccess.Write, FileShare.Read);
    output.WriteLine($"OPENED next={reader.NextSequence} output={lastDone}");
    Span<byte> expected = stackalloc byte[8 + 22];
    byte[] line = new byte[32];
    long processed = lastDone + 1;
    var idle = new SpinWait();
    while (processed < total)
    {
        int inBatch = 0;
        while (inBatch < batch)
        {
            ReadResult read = reader.TryRead();
            if (!read.IsRecord)
            {
                if (read.IsFinal)
                {
                    output.WriteLine($"FAILED {reader.Fault}");
                    return 5;
                }

                break;
            }

            long sequence = reader.LastSequence;
            int length = Fill(expected, sequence);
            if (!read.Span.SequenceEqual(expected[..length]))
            {
                output.WriteLine($"CORRUPT record {sequence} holds {Convert.ToHexString(read.Span)}");
                return 6;
            }

            inBatch++;
            if (sequence <= lastDone)
            {
                continue; // Processed before the last kill, after the last commit: effectively once.
            }

            int written = Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture) + "\n", line);
            sink.Write(line, 0, written);
            processed = sequence + 1;
        }

        if (inBatch == 0)
        {
            idle.SpinOnce(sleep1Threshold: 20);
            continue;
        }

        idle.Reset();
        sink.Flush(); // The batch's output reaches the file before the cursor moves past it.
        reader.Commit();
        output.WriteLine($"PROCESSED {processed}");
    }

    output.WriteLine("DONE");
    return 0;
}

int Hold(string folder)
{
    try
    {
        using JournalWriter journal = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 65536, PreTouch = false });
        output.WriteLine("WON");
        Console.In.ReadToEnd();
        return 0;
    }
    catch (JournalException e)
    {
        output.WriteLine($"LOST {e.Error}");
        return 0;
    }
}

static int Fill(Span<byte> payload, long sequence)
{
    BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
    int extra = (int)(sequence % 23);
    for (int i = 0; i < extra; i++)
    {
        payload[8 + i] = (byte)(sequence + i);
    }

    return 8 + extra;
}

static long LastCompleteLine(string file)
{
    if (!File.Exists(file))
    {
        return -1;
    }

    byte[] bytes = File.ReadAllBytes(file);
    int end = bytes.Length;
    while (end > 0 && bytes[end - 1] != (byte)'\n')
    {
        end--;
    }

    if (end != bytes.Length)
    {
        using var truncate = new FileStream(file, FileMode.Open, FileAccess.Write);
        truncate.SetLength(end); // A line torn by the last kill: its record is processed again.
    }

    if (end == 0)
    {
        return -1;
    }

    int start = end - 1;
    while (start > 0 && bytes[start - 1] != (byte)'\n')
    {
        start--;
    }

    return long.Parse(Encoding.ASCII.GetString(bytes, start, end - 1 - start), CultureInfo.InvariantCulture);
}

static T Retry<T>(Func<T> open)
{
    long deadline = Environment.TickCount64 + 30_000;
    while (true)
    {
        try
        {
            return open();
        }
        catch (JournalException e) when (e.Error is JournalError.WriterActive or JournalError.CursorInUse && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(5); // The previous owner was killed a moment ago; the kernel releases its lock as it goes.
        }
    }
}
