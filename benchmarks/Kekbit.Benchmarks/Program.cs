// Kekbit benchmarks.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- harness [--quick] [--out FILE] [--out-dir DIR]
//       the whole comparison in one run (raw protocol limit, Kekbit, FasterLog, Channels, Unix domain socket, futex floor;
//       throughput at 32 B to 4 KiB, latency at paced rates, idle cost); prints progress to stderr and a markdown report to
//       stdout (and FILE); with --out-dir also DIR/results.md, DIR/results.json and the SVG plots (docs/perf is README's).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- doorbell [--quick] [--rates 1000,10000,...] [--latency-only] [--out FILE]
//       only the doorbell rows: the raw futex ping-pong floor and doorbell (blocking and async) vs default backoff readers at
//       1k, 10k, 100k records/s; idle CPU of one reader, and of 1,000 channels awaited by idle WaitForDataAsync loops.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- async-wait [--quick] [--idle-only | --latency-only] [--rates 1000,10000,...] [--out FILE]
//       only the async waiter's rows: the futex floor, WaitForDataAsync beside WaitForData at 1k, 10k, 100k records/s, and
//       the CPU and threads of 1,000 channels awaited by idle WaitForDataAsync loops.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- bdn [BenchmarkDotNet options, e.g. --filter '*']
//       BenchmarkDotNet micro-benchmarks with the memory diagnoser.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- path-cost [SIZE] [ROUNDS]
//       ns per record of a span write, an encoder write and a TryRead, best of ROUNDS (default 32 B, 15 rounds).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- metrics-cost [SIZE] [ROUNDS] [PAIRS]
//       path-cost with no listener, then with a listener on the Kekbit meter collecting every second, PAIRS times (default 2).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- prefault-cost [MIB] [SIZE] [ROUNDS]
//       open and read-all times of a full channel (default 1024 MiB of 32 B records) with and without ShmReader.Prefault().
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- read-cost [SIZE] [ROUNDS] [MIB]
//       one full channel read A/B, interleaved rounds (default 32 B, 5, 256 MiB): raw limit, TryRead, the batch read, fresh,
//       shared in-process and huge-page tmpfs mappings (root), FasterLog's scan; M records/s, CPU ns/record, minor faults.
//       MIB 1 keeps the channel in the caches: the per-record CPU cost of each path.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- fasterlog-settings [SIZE] [RECORDS]
//       FasterLog's enqueue, group-commit and scan rates under several memory and page sizes (how the harness's were chosen).
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- journal [--quick]
//       the journal: write/read throughput across rolls vs one channel, roll latency, seek on 1,000 segments.
//   dotnet run -c Release --project benchmarks/Kekbit.Benchmarks -- replication [--quick]
//       push replicator vs a plain NATS.Net JetStream publish loop (same window), origin-to-mirror latency (needs nats-server).
// Other first arguments are roles this program plays as a child process of the harness.
using System.Globalization;
using BenchmarkDotNet.Running;
using Kekbit.Benchmarks.Harness;

static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

switch (args.FirstOrDefault())
{
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(Report).Assembly).Run(args[1..]);
        return 0;
    case "harness":
        return HarnessRun.Run(quick: args.Contains("--quick"), output: Option("--out"), outputFolder: Option("--out-dir"));
    case "path-cost":
        return PathCost.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 15);
    case "metrics-cost":
        return MetricsCost.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 15, args.Length > 3 ? (int)Long(args[3]) : 2);
    case "prefault-cost":
        return PrefaultCost.Run(args.Length > 1 ? (int)Long(args[1]) : 1024, args.Length > 2 ? (int)Long(args[2]) : 32, args.Length > 3 ? (int)Long(args[3]) : 5);
    case "read-cost":
        return ReadCost.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 5, args.Length > 3 ? (int)Long(args[3]) : 256);
    case "read-ahead-cost":
        return ReadAheadCost.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 5);
    case "span-cost":
        return ReadAheadCost.SpanCost(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? (int)Long(args[2]) : 30);
    case "fasterlog-settings":
        return FasterLogSettingsProbe.Run(args.Length > 1 ? (int)Long(args[1]) : 32, args.Length > 2 ? Long(args[2]) : 4_000_000);
    case "journal":
        return JournalBench.Run(quick: args.Contains("--quick"));
    case "replication":
        return ReplicationBench.Run(quick: args.Contains("--quick"));
    case "doorbell":
        return HarnessRun.RunDoorbell(quick: args.Contains("--quick"), output: args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault(),
            rates: Option("--rates")?.Split(',').Select(r => (int)Long(r)).ToArray(), latencyOnly: args.Contains("--latency-only"));
    case "async-wait":
        return AsyncWaitWorkloads.Run(quick: args.Contains("--quick"), idleOnly: args.Contains("--idle-only"), output: args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault(),
            rates: args.SkipWhile(a => a != "--rates").Skip(1).FirstOrDefault()?.Split(',').Select(r => (int)Long(r)).ToArray(), latencyOnly: args.Contains("--latency-only"));
    case "idle-async-readers":
        return AsyncWaitWorkloads.IdleReaders(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), (int)Long(args[3]), double.Parse(args[4], CultureInfo.InvariantCulture));
    case "idle-baseline":
        return AsyncWaitWorkloads.IdleBaseline(double.Parse(args[1], CultureInfo.InvariantCulture));
    case "futex-pong":
        return DoorbellWorkloads.Pong(args[1], Long(args[2]));
    case "child-read":
        return ThroughputWorkloads.ChildRead(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), Long(args[3]));
    case "latency-writer":
        return LatencyWorkloads.Writer(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), Long(args[3]), (int)Long(args[4]));
    case "idle-reader":
        return IdleWorkloads.Reader(args[1], ulong.Parse(args[2], CultureInfo.InvariantCulture), args[3], double.Parse(args[4], CultureInfo.InvariantCulture));
    case "uds-stream":
        return ThroughputWorkloads.StreamToSocket(args[1], Long(args[2]), (int)Long(args[3]));
    case "uds-writer":
        return LatencyWorkloads.SocketWriter(args[1], Long(args[2]), (int)Long(args[3]));
    default:
        Console.Error.WriteLine("usage: harness [--quick] [--out FILE] [--out-dir DIR] | doorbell [--quick] [--out FILE] | async-wait [--quick] [--idle-only | --latency-only] [--rates 1000,10000,...] [--out FILE] | bdn [BenchmarkDotNet options] | path-cost [SIZE] [ROUNDS] | metrics-cost [SIZE] [ROUNDS] [PAIRS] | prefault-cost [MIB] [SIZE] [ROUNDS] | read-cost [SIZE] [ROUNDS] [MIB] | read-ahead-cost [SIZE] [ROUNDS] | span-cost [SIZE] [ROUNDS] | fasterlog-settings [SIZE] [RECORDS] | journal [--quick] | replication [--quick]");
        return 2;
}
