namespace Kekbit.Reactive.Tests;

/// <summary>Tests that measure the machine (CPU time) and must not share it with other tests.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
