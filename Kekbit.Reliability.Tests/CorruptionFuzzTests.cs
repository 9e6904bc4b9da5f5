using FsCheck.Xunit;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 6 and issue 2's property test: thousands of damaged channel files (bit flips in the metadata and
/// in record lengths, edge values, truncations, extensions, zeroed pages, scribbles), each written to a real
/// file and read by the real reader. Opening and reading never crash, hang, read outside the file or throw
/// anything but <see cref="Kekbit.Core.ChannelException"/>, and every outcome is the one the format prescribes.
/// </summary>
public sealed class CorruptionFuzzTests : IDisposable
{
    private const int ScratchFiles = 4;
    private readonly TempRoot _root = new("kekbit-fuzz");
    private int _next;

    [Fact]
    public void Ten_thousand_randomly_damaged_files_read_as_the_format_prescribes()
    {
        int seed = Soak.Seed();
        var random = new Random(seed);
        int files = Soak.Scale(10_000);
        var outcomes = new Dictionary<string, int>();
        for (int i = 0; i < files; i++)
        {
            SampleChannel sample = SampleChannels.All[random.Next(SampleChannels.All.Count)];
            Mutation[] mutations = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Mutation.Random(random))];
            byte[] damaged = Mutation.ApplyAll(sample.Bytes, sample.Slots, mutations);
            string description = $"seed {seed}, file {i}: {sample.Name} with {string.Join(", ", mutations.AsEnumerable())}";
            ChannelOutcome agreed = FuzzCheck.Check(damaged, NextScratchFile(), description, seekTo: random.Next(-8, damaged.Length) & ~(random.Next(4) == 0 ? 0 : 7));
            string outcome = agreed.OpenError is { } error ? $"open {error}" : $"read {agreed.End}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Figures.Report("corruption fuzz", $"{files} damaged files (seed {seed}), 0 crashes, 0 hangs, 0 untyped errors; outcomes: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
    }

    [Property(MaxTest = 1000)]
    public void Any_mutation_of_a_valid_file_reads_as_the_format_prescribes(byte sampleChoice, Mutation[] mutations, int seekTo)
    {
        SampleChannel sample = SampleChannels.All[sampleChoice % SampleChannels.All.Count];
        byte[] damaged = Mutation.ApplyAll(sample.Bytes, sample.Slots, mutations.Where(m => m is not null));
        _ = FuzzCheck.Check(damaged, NextScratchFile(), $"{sample.Name} with {string.Join(", ", mutations.AsEnumerable())}", seekTo);
    }

    public static TheoryData<string> RegressionInputs() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "RegressionInputs"), "*.kekbit").Select(Path.GetFileName).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(RegressionInputs))]
    public void Inputs_that_once_broke_the_reader_read_as_the_format_prescribes(string name)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "RegressionInputs", name));
        _ = FuzzCheck.Check(file, NextScratchFile(), name, seekTo: 0);
    }

    public void Dispose() => _root.Dispose();

    // A few names reused over and over: the files live in memory (/dev/shm) and are rewritten for each input.
    private string NextScratchFile() => Path.Combine(_root.Path, $"fuzz-{_next++ % ScratchFiles}.kekbit");
}
