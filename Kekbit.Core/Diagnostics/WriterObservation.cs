namespace Kekbit.Core.Diagnostics;

/// <summary>A writer seen by <see cref="ChannelMeter"/>: its refusals and doorbell rings (its records are the channel's, counted by <see cref="ChannelTally"/>).</summary>
internal sealed class WriterObservation(ShmWriter writer, ChannelTally tally) : Observation(tally)
{
    private readonly WeakReference<ShmWriter> _writer = new(writer);

    protected override bool Refresh()
    {
        if (!_writer.TryGetTarget(out ShmWriter? writer))
        {
            // Collected without Dispose: the last values read stay in the tally.
            return false;
        }

        ChannelTally tally = Tally;
        foreach (WriteStatus status in WriteStatuses.Refusals)
        {
            tally.Refusals[(int)status] = writer.RefusalsOf(status);
        }

        tally.DoorbellWakes = writer.Wakes;
        // Once its close completed the writer is gone for metrics (no record can follow): the values read now are its last,
        // and the channel's private mapping is released when nothing else observes it. The close tells ChannelMeter.
        return !writer.IsReleased;
    }
}
