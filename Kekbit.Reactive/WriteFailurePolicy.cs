using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>
/// What a sink does when the channel refuses a record (<see cref="WriteStatus.ChannelFull"/>,
/// <see cref="WriteStatus.RecordTooLarge"/>, <see cref="WriteStatus.Closed"/>, <see cref="WriteStatus.WouldWait"/>; a writer
/// that throws <see cref="ObjectDisposedException"/> counts as <see cref="WriteStatus.Closed"/>, with that exception as
/// the <see cref="ChannelWriteException"/>'s inner exception). Every sink (<see cref="ChannelObserver{T}"/>, and
/// <c>WriteAllAsync</c> over a <c>ChannelReader</c> or an <see cref="IAsyncEnumerable{T}"/>) applies the policy the same way.
/// A refused record is never dropped silently: whatever the policy, the failure also goes to
/// <see cref="SinkOptions{T}.OnFailure"/> and, for an observer, to <see cref="ChannelObserver{T}.Failures"/>.
/// </summary>
public enum WriteFailurePolicy
{
    /// <summary>
    /// The write throws <see cref="ChannelWriteException"/> to the producer (the caller of <c>OnNext</c>; for
    /// <c>WriteAllAsync</c>, its task faults). The channel stays open: a smaller record may still fit.
    /// </summary>
    Throw,

    /// <summary>
    /// The record is skipped and the failure reported to <see cref="SinkOptions{T}.OnFailure"/> and
    /// <see cref="ChannelObserver{T}.Failures"/>; the sink goes on. With neither a callback nor a subscriber to
    /// report to, the write throws as with <see cref="Throw"/>, so nothing is lost unseen.
    /// </summary>
    Report,

    /// <summary>
    /// The failure is reported, the channel is closed and the sink stops: an observer ignores later calls and
    /// keeps the <see cref="ChannelWriteException"/> in <see cref="ChannelObserver{T}.Error"/> and
    /// <see cref="ChannelObserver{T}.Completion"/>; <c>WriteAllAsync</c>'s task faults with it.
    /// </summary>
    Stop,
}
