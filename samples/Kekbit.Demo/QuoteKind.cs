namespace Kekbit.Demo;

/// <summary>Which phase of the demo wrote a record.</summary>
internal enum QuoteKind : byte
{
    /// <summary>Written in the burst, as fast as possible.</summary>
    Burst = 0,

    /// <summary>The burst's last record: a reader reports its progress at once, so the conductor knows it caught up.</summary>
    LastOfBurst = 1,

    /// <summary>Written in paced batches while readers are idle: its delay measures latency.</summary>
    Paced = 2,
}
