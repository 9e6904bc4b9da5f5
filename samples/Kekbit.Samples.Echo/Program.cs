// Echo: kekbit's echo_in / echo_out. One process writes each console line into a channel; another
// process reads the channel and prints the lines. "Bye" ends both.
//
//   dotnet run --project samples/Kekbit.Samples.Echo -- out /dev/shm/echo     (terminal 1: the reader)
//   dotnet run --project samples/Kekbit.Samples.Echo -- in /dev/shm/echo      (terminal 2: type lines)
//   dotnet run --project samples/Kekbit.Samples.Echo -- --self-test           (both, as child processes)
//
// The reader deletes the channel once it has printed it all, and the writer replaces a closed channel an
// earlier run left unread, so both can be run again at once.
using System.Text;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Samples;

const ulong EchoChannel = 42;
const string Bye = "Bye";

try
{
    return args switch
    {
        ["in", string root] => EchoIn(root),
        ["out", string root] => EchoOut(root),
        ["--self-test"] => SelfTest(),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ChannelException or TimeoutException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"echo: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: echo in ROOT | echo out ROOT | echo --self-test");
    Console.Error.WriteLine("  in   create channel 42 under ROOT and write each line of standard input to it; 'Bye' ends");
    Console.Error.WriteLine("  out  read channel 42 under ROOT (waiting for it to exist) and print each line; 'Bye' ends");
    return 2;
}

// The writer: one record per line. Disposing the writer closes the channel.
static int EchoIn(string root)
{
    if (ChannelLeftovers.RemoveIfFinished(root, EchoChannel))
    {
        Console.Error.WriteLine("Replaced the closed channel an earlier run left unread.");
    }

    var metadata = Metadata.Create(writerId: 1, EchoChannel, capacityHint: 1 << 20, maxRecordLengthHint: 1024, timeout: 60_000, TickUnit.Millis);
    using var writer = ShmWriter.Create(root, metadata);
    var gate = new Lock();
    // Ctrl-C or SIGTERM: close the channel, so the reader sees the end at once instead of waiting for the timeout.
    void Close()
    {
        lock (gate)
        {
            writer.Dispose();
        }
    }

    Console.CancelKeyPress += (_, _) => Close();
    AppDomain.CurrentDomain.ProcessExit += (_, _) => Close();
    Console.Error.WriteLine($"Writing to {writer.Path}. Type lines; '{Bye}' ends.");
    while (Console.ReadLine() is string line)
    {
        WriteResult result;
        lock (gate)
        {
            result = writer.Write(Encoding.UTF8.GetBytes(line));
        }

        if (!result.IsSuccess)
        {
            Console.Error.WriteLine($"Not sent ({result.Status}): {line}");
        }

        if (line == Bye || result.Status == WriteStatus.ChannelFull)
        {
            break;
        }
    }

    return 0;
}

// The reader: the plain polling loop of Kekbit.Core. TryRead never blocks; the idle strategy decides how to
// wait when nothing is there (spin, then yield, then sleep), and a TimeoutReader notices a writer that is gone.
static int EchoOut(string root)
{
    int exitCode;
    using (var reader = new TimeoutReader(ShmReader.OpenWhenReady(root, EchoChannel, TimeSpan.FromSeconds(60))))
    {
        exitCode = Echo(reader);
    }

    // Printed it all: nobody needs the channel any more, and the next run starts afresh.
    ChannelLeftovers.Remove(root, EchoChannel);
    return exitCode;
}

static int Echo(TimeoutReader reader)
{
    var idle = new BackoffIdleStrategy();
    while (true)
    {
        ReadResult result = reader.TryRead();
        if (result.IsRecord)
        {
            idle.Reset();
            string line = Encoding.UTF8.GetString(result.Span);
            Console.WriteLine($"echo: {line}");
            if (line == Bye)
            {
                return 0;
            }

            continue;
        }

        if (result.IsFinal)
        {
            Console.Error.WriteLine($"The channel ended without '{Bye}': {result.Status}");
            return result.Status == ReadStatus.Closed ? 0 : 1;
        }

        idle.Idle();
    }
}

// Both roles as child processes of this one: the writer gets three lines on its standard input.
static int SelfTest()
{
    using var root = new SampleRoot("echo");
    using var reader = SelfProcess.Start("out", root.Path);
    using var writer = SelfProcess.Start("in", root.Path);
    Task<string> echoed = reader.StandardOutput.ReadToEndAsync();
    Task<string> writerOutput = writer.StandardOutput.ReadToEndAsync();
    writer.StandardInput.Write("hello\nkekbit\nBye\nnever sent\n");
    writer.StandardInput.Close();

    var deadline = TimeSpan.FromSeconds(30);
    (int writerExit, _) = SelfProcess.WaitForExit(writer, writerOutput, deadline);
    (int readerExit, string output) = SelfProcess.WaitForExit(reader, echoed, deadline);
    Console.Write(output);
    bool passed = writerExit == 0 && readerExit == 0 && output.ReplaceLineEndings("\n") == "echo: hello\necho: kekbit\necho: Bye\n";
    Console.WriteLine(passed ? "echo self-test passed" : $"echo self-test FAILED (writer exit {writerExit}, reader exit {readerExit})");
    return passed ? 0 : 1;
}
