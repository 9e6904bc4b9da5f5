// Chat: two instances, each writing its own channel and reading the other's. A channel has one writer,
// so a conversation is two channels; each name maps to a channel id.
//
//   dotnet run --project samples/Kekbit.Samples.Chat -- /dev/shm/chat alice bob     (terminal 1)
//   dotnet run --project samples/Kekbit.Samples.Chat -- /dev/shm/chat bob alice     (terminal 2)
//   dotnet run --project samples/Kekbit.Samples.Chat -- --self-test                 (both, as child processes)
//
// Type a line to send it; '/quit' leaves at once. A peer's leaving shows as soon as it happens; a peer may come
// back. At the end of piped input an instance waits for its peer to leave, so a scripted conversation sees
// every message. Each instance deletes its peer's channel once the peer has left and it has read it all, and
// replaces its own channel if an earlier run left it closed, so the conversation can be run again at once.
using System.Text;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Samples;

try
{
    return args switch
    {
        ["--self-test"] => SelfTest(),
        [string root, string name, string peer] when name != peer => await Chat(root, name, peer),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ChannelException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"chat: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: chat ROOT NAME PEER | chat --self-test");
    return 2;
}

static async Task<int> Chat(string root, string name, string peer)
{
    if (ChannelLeftovers.RemoveIfFinished(root, ChannelIdOf(name)))
    {
        Console.Error.WriteLine($"{name}: replaced the closed channel an earlier run left.");
    }

    // Humans pause: readers wait an hour of silence before they consider a writer gone.
    var metadata = Metadata.Create(writerId: ChannelIdOf(name), ChannelIdOf(name), capacityHint: 1 << 20, maxRecordLengthHint: 4096, timeout: 3600, TickUnit.Secs);
    using var mine = ShmWriter.Create(root, metadata);
    var gate = new Lock();
    void Close()
    {
        lock (gate)
        {
            mine.Dispose();
        }
    }

    // Ctrl-C or SIGTERM: closing my channel tells the peer I left.
    Console.CancelKeyPress += (_, _) => Close();
    AppDomain.CurrentDomain.ProcessExit += (_, _) => Close();

    using var leave = new CancellationTokenSource();
    var peerLeft = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    Task listening = Listen(root, peer, peerLeft, leave.Token);
    Console.Error.WriteLine($"{name}: writing {mine.Path}; waiting for {peer}. Type lines, '/quit' to leave.");

    bool quit = false;
    while (await Console.In.ReadLineAsync() is string line)
    {
        if (line == "/quit")
        {
            quit = true;
            break;
        }

        bool sent;
        lock (gate)
        {
            sent = mine.Write(Encoding.UTF8.GetBytes(line)).IsSuccess;
        }

        if (!sent)
        {
            Console.Error.WriteLine("(not sent: the channel is full or the line too long)");
        }
    }

    // Closing my channel tells the peer I left.
    Close();
    if (quit)
    {
        Console.WriteLine("* you left");
    }
    else
    {
        // The end of piped input: stay until the peer has left (or listening failed), so no message is missed.
        await Task.WhenAny(peerLeft.Task, listening);
    }

    await leave.CancelAsync();
    try
    {
        await listening;
    }
    catch (OperationCanceledException)
    {
    }

    return 0;
}

// Prints the peer's messages as they arrive, and "left" as soon as the peer leaves (closes its channel). Then
// deletes the peer's channel, read to the end, and waits for the peer to come back, until this instance leaves.
// A peer gone silent (its writer vanished without closing) ends the listening.
static async Task Listen(string root, string peer, TaskCompletionSource peerLeft, CancellationToken leave)
{
    ulong channelId = ChannelIdOf(peer);
    while (true)
    {
        using (var reader = new TimeoutReader(await OpenWhenReadyAsync(root, channelId, leave)))
        {
            try
            {
                await foreach (Record message in reader.ReadAllAsync(leave))
                {
                    Console.WriteLine($"{peer}: {Encoding.UTF8.GetString(message.Span)}");
                }

                Console.WriteLine($"* {peer} left");
            }
            catch (ChannelTimeoutException)
            {
                // The peer's writer is gone without closing its channel: stop listening, leave the file as it is.
                Console.WriteLine($"* {peer} went silent");
                peerLeft.TrySetResult();
                return;
            }
        }

        // Only if it is still the closed channel just read: the peer may already be back with a new one.
        ChannelLeftovers.RemoveIfFinished(root, channelId);
        peerLeft.TrySetResult();
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
