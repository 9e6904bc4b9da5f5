// Request/reply: kekbit's req/rep. Two processes, two channels: the client writes requests into channel 1,
// the server reads them and writes replies into channel 2. Every message starts with a 64-bit request id;
// the server answers each batch of requests in reverse order, so the client must match replies by id.
//
//   dotnet run --project samples/Kekbit.Samples.RequestReply -- server /dev/shm/reqrep      (terminal 1)
//   dotnet run --project samples/Kekbit.Samples.RequestReply -- client /dev/shm/reqrep 20   (terminal 2)
//   dotnet run --project samples/Kekbit.Samples.RequestReply -- --self-test                 (both, as child processes)
//
// Each side replaces its own channel if an earlier run left it closed, and waits for the other side's channel
// to be a live one, so the pair can be run again at once in the same folder.
using System.Buffers.Binary;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Samples;

const ulong RequestChannel = 1;
const ulong ReplyChannel = 2;
var openTimeout = TimeSpan.FromSeconds(60);

try
{
    return args switch
    {
        ["server", string root] => Server(root),
        ["client", string root] => Client(root, 10),
        ["client", string root, string count] when int.TryParse(count, CultureInfo.InvariantCulture, out int n) && n > 0 => Client(root, n),
        ["--self-test"] => SelfTest(),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ChannelException or TimeoutException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"reqrep: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: reqrep server ROOT | reqrep client ROOT [COUNT] | reqrep --self-test");
    Console.Error.WriteLine("  server  answer each request (a number) with its square until the client closes its channel");
    Console.Error.WriteLine("  client  send COUNT numbers (default 10) as requests and match every reply to its request by id");
    return 2;
}

// The server: reads what requests are available, answers the batch in reverse order, and closes its reply
// channel (disposing the writer) once the client has closed the request channel.
int Server(string root)
{
    var metadata = Metadata.Create(writerId: 2, ReplyChannel, capacityHint: 1 << 20, maxRecordLengthHint: 64, timeout: 60_000, TickUnit.Millis);
    ChannelLeftovers.RemoveIfFinished(root, ReplyChannel);
    using var replies = ShmWriter.Create(root, metadata);
    using var requests = new TimeoutReader(ChannelLeftovers.OpenLive(root, RequestChannel, openTimeout));
    var idle = new BackoffIdleStrategy();
    var batch = new List<(ulong Id, long Number)>();
    Span<byte> message = stackalloc byte[Message.Length];
    long answered = 0;
    while (requests.ExhaustedBy is null)
    {
        batch.Clear();
        foreach (ReadResult request in requests.ReadAvailable())
        {
            batch.Add(Message.Read(request.Span));
        }

        if (batch.Count == 0)
        {
            idle.Idle();
            continue;
        }

        idle.Reset();
        for (int i = batch.Count - 1; i >= 0; i--)
        {
            (ulong id, long number) = batch[i];
            replies.Write(Message.Create(id, number * number, message));
            answered++;
        }
    }

    Console.WriteLine($"server: answered {answered} requests; the request channel ended {requests.ExhaustedBy}");
    return requests.ExhaustedBy == ReadStatus.Closed ? 0 : 1;
}

// The client: sends all requests, remembering each by id, then matches the replies as they come.
int Client(string root, int count)
{
    var metadata = Metadata.Create(writerId: 1, RequestChannel, capacityHint: 1 << 20, maxRecordLengthHint: 64, timeout: 60_000, TickUnit.Millis);
    var pending = new Dictionary<ulong, long>();
    Span<byte> message = stackalloc byte[Message.Length];
    ChannelLeftovers.RemoveIfFinished(root, RequestChannel);
    using (var requests = ShmWriter.Create(root, metadata))
    {
        for (ulong id = 1; id <= (ulong)count; id++)
        {
            long number = (long)id * 7;
            pending.Add(id, number);
            requests.Write(Message.Create(id, number, message));
        }

        using var replies = new TimeoutReader(ChannelLeftovers.OpenLive(root, ReplyChannel, openTimeout));
        var idle = new BackoffIdleStrategy();
        ulong expectedNext = 1;
        int outOfOrder = 0;
        while (pending.Count > 0 && replies.ExhaustedBy is null)
        {
            ReadResult reply = replies.TryRead();
            if (!reply.IsRecord)
            {
                idle.Idle();
                continue;
            }

            idle.Reset();
            (ulong id, long square) = Message.Read(reply.Span);
            if (!pending.Remove(id, out long number) || square != number * number)
            {
                Console.WriteLine($"client: reply {id} = {square} matches no request");
                return 1;
            }

            outOfOrder += id == expectedNext ? 0 : 1;
            expectedNext = id + 1;
            Console.WriteLine($"client: request #{id}: {number}² = {square}");
        }

        if (pending.Count > 0)
        {
            Console.WriteLine($"client: {pending.Count} requests unanswered; the reply channel ended {replies.ExhaustedBy}");
            return 1;
        }

        Console.WriteLine($"client: {count} replies matched by id ({outOfOrder} arrived out of order)");
    }

    // Leaving the block closed the request channel: that tells the server to finish.
    return 0;
}

// Both roles as child processes of this one.
static int SelfTest()
{
    using var root = new SampleRoot("reqrep");
    using var server = SelfProcess.Start("server", root.Path);
    using var client = SelfProcess.Start("client", root.Path, "100");
    Task<string> serverOutput = server.StandardOutput.ReadToEndAsync();
    Task<string> clientOutput = client.StandardOutput.ReadToEndAsync();
    var deadline = TimeSpan.FromSeconds(30);
    (int clientExit, string clientText) = SelfProcess.WaitForExit(client, clientOutput, deadline);
    (int serverExit, string serverText) = SelfProcess.WaitForExit(server, serverOutput, deadline);
    string[] clientLines = clientText.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
    Console.WriteLine(string.Join('\n', clientLines.Take(3)));
    Console.WriteLine("...");
    Console.WriteLine(clientLines[^1]);
    Console.Write(serverText);
    bool passed = clientExit == 0 && serverExit == 0 && clientLines[^1].StartsWith("client: 100 replies matched by id", StringComparison.Ordinal);
    Console.WriteLine(passed ? "request/reply self-test passed" : $"request/reply self-test FAILED (client exit {clientExit}, server exit {serverExit})");
    return passed ? 0 : 1;
}

/// <summary>A request or a reply: a 64-bit request id, then a 64-bit number, little endian.</summary>
internal static class Message
{
    public const int Length = 16;

    public static ReadOnlySpan<byte> Create(ulong id, long number, Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, id);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], number);
        return buffer[..Length];
    }

    public static (ulong Id, long Number) Read(ReadOnlySpan<byte> payload) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]));
}
