using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>A value a sink could not write, and why.</summary>
/// <typeparam name="T">The type of value.</typeparam>
/// <param name="Value">The refused value.</param>
/// <param name="Status">Why the channel refused it.</param>
public readonly record struct WriteFailure<T>(T Value, WriteStatus Status);
