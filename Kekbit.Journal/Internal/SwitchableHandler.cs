using Kekbit.Core;

namespace Kekbit.Journal.Internal;

/// <summary>A handler that runs its inner handler only while on: the journal writer turns it off to write a segment's header.</summary>
internal sealed class SwitchableHandler(IHandler inner) : IHandler
{
    public bool On { get; set; } = true;

    public void Incoming(RecordBuffer record)
    {
        if (On)
        {
            inner.Incoming(record);
        }
    }

    public void Outgoing(RecordBuffer record)
    {
        if (On)
        {
            inner.Outgoing(record);
        }
    }
}
