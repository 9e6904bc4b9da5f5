using Kekbit.Core;

namespace Kekbit.Tool.Stat;

/// <summary>
/// Something <c>kekbit stat</c> watches under a root: channels today; journals join by adding a source. A source
/// keeps what it needs between samples (the previous positions, to give rates) and only ever reads.
/// </summary>
internal interface IStatSource
{
    /// <summary>Samples everything this source finds under the root, at <paramref name="now"/>.</summary>
    /// <param name="writers">One snapshot of the host's writers, shared by every row of the sample.</param>
    /// <param name="now">The sample's time.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    IEnumerable<StatRow> Sample(ChannelWriters writers, DateTimeOffset now, CancellationToken cancellationToken);
}
