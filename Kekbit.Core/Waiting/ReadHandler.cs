namespace Kekbit.Core.Waiting;

/// <summary>
/// Receives one record from a <see cref="ReaderPoller"/>. The state argument lets a cached (static) delegate reach its
/// target without a closure, so polling allocates nothing.
/// </summary>
/// <typeparam name="TState">What the handler works on.</typeparam>
/// <param name="state">The state given to the poll.</param>
/// <param name="record">The record (<see cref="ReadResult.IsRecord"/>); its payload is valid while the reader is not disposed.</param>
public delegate void ReadHandler<in TState>(TState state, ReadResult record);
