using Kekbit.Core;
using Kekbit.Tool.Channels;

namespace Kekbit.Tool.Stat;

/// <summary>
/// Something <c>kekbit stat</c> watches under a root: its loose channels, its journals. A source keeps what it needs
/// between samples (the previous positions, to give rates) and only ever reads.
/// </summary>
internal interface IStatSource
{
    /// <summary>Samples what this source watches of <paramref name="contents"/>, at <paramref name="now"/>.</summary>
    /// <param name="contents">What the root holds at this sample, found once for every source.</param>
    /// <param name="writers">One snapshot of the host's writers, shared by every row of the sample.</param>
    /// <param name="now">The sample's time.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    IEnumerable<StatRow> Sample(RootContents contents, ChannelWriters writers, DateTimeOffset now, CancellationToken cancellationToken);
}
