namespace Kekbit.Core;

/// <summary>
/// Links two handlers: a decorator wraps an inner handler. For each record it runs the decorator's
/// <see cref="IHandler.Incoming"/>, the inner handler's incoming step, the payload, the inner handler's
/// outgoing step, then the decorator's <see cref="IHandler.Outgoing"/>. Chains of any length are built by linking links.
/// </summary>
public sealed class ChainedHandler : IHandler
{
    private readonly IHandler _handler;
    private readonly IHandler _decorator;

    /// <summary>Links <paramref name="decorator"/> around <paramref name="handler"/>.</summary>
    /// <param name="handler">The inner handler.</param>
    /// <param name="decorator">The outer handler.</param>
    public ChainedHandler(IHandler handler, IHandler decorator)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(decorator);
        _handler = handler;
        _decorator = decorator;
    }

    /// <summary>Links <paramref name="decorator"/> around <paramref name="handler"/> (kekbit's <c>ChainedHandler::link</c>).</summary>
    /// <param name="handler">The inner handler.</param>
    /// <param name="decorator">The outer handler.</param>
    public static ChainedHandler Link(IHandler handler, IHandler decorator) => new(handler, decorator);

    /// <summary>Runs the decorator's incoming step, then the inner handler's.</summary>
    /// <param name="record">The record being written.</param>
    public void Incoming(RecordBuffer record)
    {
        _decorator.Incoming(record);
        _handler.Incoming(record);
    }

    /// <summary>Runs the inner handler's outgoing step, then the decorator's.</summary>
    /// <param name="record">The record being written.</param>
    public void Outgoing(RecordBuffer record)
    {
        _handler.Outgoing(record);
        _decorator.Outgoing(record);
    }
}
