// Kekbit benchmarks.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- harness [--quick] [--out FILE]
//       the throughput / latency / idle-cost harness; prints progress to stderr and a markdown report to stdout (and FILE).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- doorbell [--quick] [--out FILE]
//       only the doorbell rows: the raw futex ping-pong floor and doorbell vs default backoff readers at 1k, 10k, 100k records/s.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- bdn [BenchmarkDotNet options, e.g. --filter '*']
//       BenchmarkDotNet micro-benchmarks with the memory diagnoser.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- path-cost [SIZE] [ROUNDS]
//       ns per record of a span write, an encoder write and a TryRead, best of ROUNDS (default 32 B, 15 rounds).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- journal [--quick]
//       the journal: write/read throughput across rolls vs one channel, roll latency, seek on 1,000 segments.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- replication [--quick]
//       push replicator vs a plain NATS.Net JetStream publish loop (same window), origin-to-mirror latency (needs nats-server).
// Other first arguments are roles this program plays as a child process of the harness.
using System.Globalization;
using BenchmarkDotNet.Running;
using Kekbit.Benchmarks.Harness;

static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(Report).Assembly).Run(args[1..]);
        return 0;
    case "harness":
        return HarnessRun.Run(quick: args.Contains("--quick"), output: args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault());
    case "path-cost":
        return PathCost.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 15);
    case "journal":
        return JournalBench.Run(quick: args.Contains("--quick"));
    case "replication":
        return ReplicationBench.Run(quick: args.Contains("--quick"));
    case "doorbell":
        return HarnessRun.RunDoorbell(quick: args.Contains("--quick"), output: args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault());
    case "futex-pong":
        return DoorbellWorkloads.Pong(args[1], Long(args[2]));
    case "child-read":
        return ThroughputWorkloads.ChildRead(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), Long(args[3]));
    case "latency-writer":
        return LatencyWorkloads.Writer(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), Long(args[3]), (int)Long(args[4]));
    case "idle-reader":
        return IdleWorkloads.Reader(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), args[3], double.Parse(args[4], CultureInfo.InvariantCulture));
    case "uds-writer":
        return LatencyWorkloads.SocketWriter(args[1], Long(args[2]), (int)Long(args[3]));
    default:
        Console.Error.WriteLine("usage: harness [--quick] [--out FILE] | doorbell [--quick] [--out FILE] | bdn [BenchmarkDotNet options] | path-cost [SIZE] [ROUNDS]");
        return 2;
}
