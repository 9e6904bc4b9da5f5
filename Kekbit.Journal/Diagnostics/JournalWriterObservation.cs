using Kekbit.Core.Diagnostics;

namespace Kekbit.Journal.Diagnostics;

/// <summary>
/// A journal writer seen by <see cref="JournalMeter"/>, through <see cref="ChannelMeter"/>'s list: its roll count and
/// next sequence, read on the collecting thread from fields the writer keeps anyway. Holds the writer weakly.
/// </summary>
internal sealed class JournalWriterObservation(JournalWriter writer, JournalTally tally) : Observation
{
    private readonly WeakReference<JournalWriter> _writer = new(writer);
    private long _rolls;

    protected override bool Refresh()
    {
        if (_writer.TryGetTarget(out JournalWriter? writer))
        {
            // Still readable after Dispose: plain fields of the object.
            _rolls = writer.Rolls;
            if (!writer.IsClosed)
            {
                tally.Update(_rolls, writer.NextSequence);
                return true;
            }
        }

        tally.Retire(_rolls);
        return false;
    }
}
