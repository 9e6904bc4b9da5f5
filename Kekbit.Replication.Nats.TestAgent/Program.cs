using Kekbit.Replication.Nats;

// Usage: push|mirror URL FOLDER STREAM. Runs the replicator until killed (or stdin closes); prints "started" once it runs,
// and "fault ERROR" if it stops with a ReplicationException.
if (args.Length != 4 || args[0] is not ("push" or "mirror"))
{
    Console.Error.WriteLine("usage: push|mirror URL FOLDER STREAM");
    return 2;
}

var connection = new NatsConnectionOptions { Url = args[1] };
using Microsoft.Extensions.Hosting.BackgroundService service = args[0] == "push"
    ? new NatsPushReplicator(new NatsPushOptions { JournalFolder = args[2], Stream = args[3], Connection = connection, CommitInterval = TimeSpan.FromMilliseconds(20) })
    : new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = args[2], Stream = args[3], Connection = connection, FlushInterval = TimeSpan.FromMilliseconds(100) });
await service.StartAsync(CancellationToken.None);
Console.WriteLine("started");
try
{
    await service.ExecuteTask!;
}
catch (ReplicationException e)
{
    Console.WriteLine($"fault {e.Error}");
    return 1;
}

return 0;
