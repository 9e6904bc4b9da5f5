using System.Diagnostics;

namespace Kekbit.Demo;

/// <summary>What a reader tallies as records arrive: count, order, checksum, burst timing and paced latencies.</summary>
internal sealed class ReaderStats(string role, string pipeline)
{
    private readonly List<long> _latencies = new(DemoSettings.Default.PacedRecords);
    private ulong _expected;
    private bool _inOrder = true;
    private ulong _checksum = Checksum.Empty;
    private long _burstFirst;
    private long _burstLast;
    private string _first = "";
    private string _last = "";

    public long Records { get; private set; }

    public ReaderStats Add(in Received record)
    {
        _inOrder &= record.Sequence == _expected;
        _expected = record.Sequence + 1;
        _checksum = Checksum.Fold(_checksum, record.Hash);
        if (Records++ == 0)
        {
            _first = record.Text;
        }

        _last = record.Text;
        if (record.Kind == QuoteKind.Paced)
        {
            _latencies.Add(record.ArrivedAt - record.WrittenAt);
        }
        else
        {
            _burstFirst = _burstFirst == 0 ? record.ArrivedAt : _burstFirst;
            _burstLast = record.ArrivedAt;
        }

        if (Records % Roles.ProgressEvery == 0 || record.Kind == QuoteKind.LastOfBurst)
        {
            Roles.Say(Roles.Progress + Records);
        }

        return this;
    }

    public ReaderStats AddAll(IList<Received> batch)
    {
        foreach (Received record in batch)
        {
            Add(record);
        }

        return this;
    }

    public ReaderReport ToReport(string end)
    {
        _latencies.Sort();
        double Microseconds(double percentile) => _latencies.Count == 0
            ? 0
            : _latencies[Math.Min(_latencies.Count - 1, (int)(percentile * _latencies.Count))] * 1e6 / Stopwatch.Frequency;
        double burstSeconds = (_burstLast - _burstFirst) / (double)Stopwatch.Frequency;
        return new ReaderReport(role, pipeline, Records, _inOrder, _checksum, _first, _last, burstSeconds, Microseconds(0.5), Microseconds(0.99), Microseconds(1.0), end);
    }
}
