namespace Kekbit.Reactive;

/// <summary>
/// How a sink (<see cref="ChannelObserver{T}"/>, <c>WriteAllAsync</c>) writes into a channel and handles refused records.
/// The defaults (<c>new SinkOptions&lt;T&gt;()</c>): throw on a refused record, no flushing per batch, close the channel when the source completes.
/// </summary>
/// <typeparam name="T">The type of value written.</typeparam>
public sealed record SinkOptions<T>
{
    /// <summary>What to do when the channel refuses a record. Default <see cref="WriteFailurePolicy.Throw"/>.</summary>
    public WriteFailurePolicy FailurePolicy { get; init; } = WriteFailurePolicy.Throw;

    /// <summary>Called with every refused record, whatever the policy, before the policy applies. Runs on the writing thread.</summary>
    public Action<WriteFailure<T>>? OnFailure { get; init; }

    /// <summary>For <c>WriteAllAsync</c>: the most records written per batch, between two flushes. Positive; default 1024.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>
    /// For <c>WriteAllAsync</c>: whether each drained batch is flushed to the file before waiting for more
    /// (durable on disk at batch granularity; cheap on tmpfs). Default false: the channel is flushed when closed.
    /// </summary>
    public bool FlushEachBatch { get; init; }

    /// <summary>For <c>WriteAllAsync</c>: whether the channel is closed when the source completes. Default true.</summary>
    public bool CloseOnCompletion { get; init; } = true;

    /// <summary>Throws for invalid settings.</summary>
    internal SinkOptions<T> Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        return this;
    }
}
