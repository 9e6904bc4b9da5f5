// Chat: two instances, each writing its own channel and reading the other's. A channel has one writer,
// so a conversation is two channels; each name maps to a channel id.
//
//   dotnet run --project samples/Kekbit.Samples.Chat -- /dev/shm/chat alice bob     (terminal 1)
//   dotnet run --project samples/Kekbit.Samples.Chat -- /dev/shm/chat bob alice     (terminal 2)
//   dotnet run --project samples/Kekbit.Samples.Chat -- --self-test                 (both, as child processes)
//
// Type a line to send it; '/quit' leaves at once. At the end of piped input an instance waits for its peer to
// leave, so a scripted conversation sees every message.
using System.Text;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Samples;

return args switch
{
    ["--self-test"] => SelfTest(),
    [string root, string name, string peer] when name != peer => await Chat(root, name, peer),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: chat ROOT NAME PEER | chat --self-test");
    return 2;
}

static async Task<int> Chat(string root, string name, string peer)
{
    // Humans pause: readers wait an hour of silence before they consider a writer gone.
    var metadata = Metadata.Create(writerId: ChannelIdOf(name), ChannelIdOf(name), capacityHint: 1 << 20, maxRecordLengthHint: 4096, timeout: 3600, TickUnit.Secs);
    var mine = ShmWriter.Create(root, metadata);
    using var leave = new CancellationTokenSource();
    Task<string> listening = Listen(root, peer, leave.Token);
    Console.Error.WriteLine($"{name}: writing {mine.Path}; waiting for {peer}. Type lines, '/quit' to leave.");

    bool quit = false;
    while (await Console.In.ReadLineAsync() is string line)
    {
        if (line == "/quit")
        {
            quit = true;
            break;
        }

        if (!mine.Write(Encoding.UTF8.GetBytes(line)).IsSuccess)
        {
            Console.Error.WriteLine("(not sent: the channel is full or the line too long)");
        }
    }

    // Closing my channel tells the peer I left.
    mine.Dispose();
    if (quit)
    {
        await leave.CancelAsync();
    }

    Console.WriteLine(await listening);
    return 0;
}

// Prints the peer's messages as they arrive, until the peer leaves (closes its channel).
static async Task<string> Listen(string root, string peer, CancellationToken leave)
{
    try
    {
        using var reader = new TimeoutReader(await OpenWhenReadyAsync(root, ChannelIdOf(peer), leave));
        await foreach (Record message in reader.ReadAllAsync(leave))
        {
            Console.WriteLine($"{peer}: {Encoding.UTF8.GetString(message.Span)}");
        }

        return $"* {peer} left";
    }
    catch (ChannelTimeoutException)
    {
        return $"* {peer} went silent";
    }
    catch (OperationCanceledException)
    {
        return "* you left";
    }
}

// The peer may start later: poll for its channel without blocking a thread.
static async Task<ShmReader> OpenWhenReadyAsync(string root, ulong channelId, CancellationToken cancellationToken)
{
    while (true)
    {
        try
        {
            return ShmReader.Open(root, channelId);
        }
        catch (ChannelException e) when (e.Error is ChannelError.StorageNotFound or ChannelError.StorageNotReady)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }
}

// A name's channel id: FNV-1a of its UTF-8 bytes, so both instances agree without configuration.
static ulong ChannelIdOf(string name) => Fnv1a.Add(Fnv1a.Seed, Encoding.UTF8.GetBytes(name));

// Alice and Bob as child processes of this one, each with a scripted conversation on its standard input.
static int SelfTest()
{
    using var root = new SampleRoot("chat");
    using var alice = SelfProcess.Start(root.Path, "alice", "bob");
    using var bob = SelfProcess.Start(root.Path, "bob", "alice");
    Task<string> aliceOutput = alice.StandardOutput.ReadToEndAsync();
    Task<string> bobOutput = bob.StandardOutput.ReadToEndAsync();
    alice.StandardInput.Write("hi bob\nhow are you?\n");
    alice.StandardInput.Close();
    bob.StandardInput.Write("hi alice, fine thanks\n");
    bob.StandardInput.Close();

    var deadline = TimeSpan.FromSeconds(30);
    (int aliceExit, string aliceSaw) = SelfProcess.WaitForExit(alice, aliceOutput, deadline);
    (int bobExit, string bobSaw) = SelfProcess.WaitForExit(bob, bobOutput, deadline);
    Console.Write($"alice's screen:\n{aliceSaw}bob's screen:\n{bobSaw}");
    bool passed = aliceExit == 0 && bobExit == 0
        && aliceSaw.ReplaceLineEndings("\n") == "bob: hi alice, fine thanks\n* bob left\n"
        && bobSaw.ReplaceLineEndings("\n") == "alice: hi bob\nalice: how are you?\n* alice left\n";
    Console.WriteLine(passed ? "chat self-test passed" : $"chat self-test FAILED (alice exit {aliceExit}, bob exit {bobExit})");
    return passed ? 0 : 1;
}
