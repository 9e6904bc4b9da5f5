namespace Kekbit.Core.Diagnostics;

/// <summary>
/// One observed object (a writer, a reader) in <see cref="ChannelMeter"/>'s list: a node of a lock-free stack that
/// holds its object weakly, so that observing never keeps a writer or reader alive.
/// </summary>
/// <remarks>
/// This is the hook for later sources of metrics (journal segments and rolls, replication lag): a subclass that
/// adds what it sees to its channel's <see cref="ChannelTally"/> in <see cref="Refresh"/>, plus the instruments that
/// report it in <see cref="ChannelMeter"/>; or, for a source that is not one channel, a subclass made with the
/// parameterless constructor that keeps its own tally, pushed with <see cref="ChannelMeter.Observe(Observation)"/>, and
/// instruments created on <see cref="ChannelMeter.Meter"/> that collect through <see cref="ChannelMeter.Collect{T}(Action{List{System.Diagnostics.Metrics.Measurement{T}}})"/>. Every method but the constructor runs under <see cref="ChannelMeter"/>'s
/// collection lock, on a collecting thread, never on the observed object's own thread.
/// </remarks>
internal abstract class Observation
{
    private readonly ChannelTally? _tally;
    private bool _departed;

    /// <summary>An observation of one channel's writer or reader, adding to <paramref name="tally"/>.</summary>
    protected Observation(ChannelTally tally) => _tally = tally;

    /// <summary>
    /// An observation that adds to no channel's tally (a journal, a replicator): it keeps its own tally, refreshed in
    /// <see cref="Refresh"/>, and its instruments collect through <see cref="ChannelMeter.Collect{T}(Action{List{System.Diagnostics.Metrics.Measurement{T}}})"/>.
    /// </summary>
    protected Observation() => _tally = null;

    /// <summary>The next (older) node; written by a pusher before the node is published, later only under the collection lock.</summary>
    public Observation? Next;

    /// <summary>The channel this object reads or writes.</summary>
    /// <exception cref="InvalidOperationException">The observation adds to no channel's tally.</exception>
    public ChannelTally Tally => _tally ?? throw new InvalidOperationException("this observation adds to no channel's tally");

    /// <summary>Counts the observation on its channel, if it has one; called once, when it joins the list.</summary>
    public void Joined() => _tally?.AddObserver();

    /// <summary>
    /// Reads the object's counters into its tally. Returns false once the object is gone (disposed or collected):
    /// its last values are then retired into the tally, once, and the node may be unlinked.
    /// </summary>
    public bool Update()
    {
        if (_departed)
        {
            return false;
        }

        if (Refresh())
        {
            return true;
        }

        _departed = true;
        _tally?.RemoveObserver();
        return false;
    }

    /// <summary>
    /// Reads the object's counters into <see cref="Tally"/>; returns false when the object is gone (disposed or
    /// collected), after retiring its last values into the tally. Never called again once it returned false.
    /// </summary>
    protected abstract bool Refresh();
}
