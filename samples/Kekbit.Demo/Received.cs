using System.Diagnostics;

namespace Kekbit.Demo;

/// <summary>
/// What a reader keeps of one record: its fields, its hash and its text, copied out of the mapped file so it
/// can travel through an Rx pipeline (the record's zero-copy view is only valid while its reader is open).
/// </summary>
internal readonly record struct Received(ulong Sequence, long WrittenAt, long ArrivedAt, QuoteKind Kind, ulong Hash, string Text)
{
    /// <summary>Takes what the reader needs from <paramref name="payload"/>, stamping its arrival time now.</summary>
    public static Received From(ReadOnlySpan<byte> payload)
    {
        long arrivedAt = Stopwatch.GetTimestamp();
        Quote quote = Quote.Decode(payload);
        return new Received(quote.Sequence, quote.WrittenAt, arrivedAt, quote.Kind, Checksum.OfRecord(payload), Quote.TextOf(payload));
    }
}
