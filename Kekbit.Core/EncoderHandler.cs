namespace Kekbit.Core;

/// <summary>
/// The handler that adds nothing: records hold exactly the payload. The default, and the innermost
/// handler of a chain (as in kekbit, <c>ChainedHandler.Link(new EncoderHandler(), decorator)</c>).
/// </summary>
public sealed class EncoderHandler : IHandler
{
    /// <summary>A shared instance; the handler has no state.</summary>
    public static EncoderHandler Instance { get; } = new();

    /// <summary>Does nothing.</summary>
    /// <param name="record">The record being written.</param>
    public void Incoming(RecordBuffer record)
    {
    }

    /// <summary>Does nothing.</summary>
    /// <param name="record">The record being written.</param>
    public void Outgoing(RecordBuffer record)
    {
    }
}
