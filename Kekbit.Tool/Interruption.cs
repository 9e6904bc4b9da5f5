using System.Runtime.InteropServices;

namespace Kekbit.Tool;

/// <summary>
/// Turns SIGINT (Ctrl+C) and SIGTERM into a cancellation that commands observe at safe points, so that a command
/// finishes what it must (the writer closes its channel, bench deletes its files) and exits 130 or 143. A second
/// signal while the first is being handled gets the default action, so a stuck process can still be stopped.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _exitCode;

    /// <summary>Cancelled when the first signal arrives.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The exit code the signal asks for: <see cref="ExitCodes.Interrupted"/> or <see cref="ExitCodes.Terminated"/>; 0 before any signal.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>The name of the signal received, for messages.</summary>
    public string SignalName => ExitCode == ExitCodes.Terminated ? "SIGTERM" : "SIGINT";

    /// <summary>An interruption only <see cref="Raise"/> triggers: for runs inside another program (tests).</summary>
    public static Interruption Manual() => new();

    /// <summary>An interruption triggered by this process's SIGINT and SIGTERM (and Ctrl+C on Windows).</summary>
    public static Interruption ForProcess()
    {
        var interruption = new Interruption();
        interruption._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, interruption.Handle));
        interruption._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, interruption.Handle));
        return interruption;
    }

    /// <summary>Acts as if <paramref name="signal"/> had arrived; false when an earlier signal already did.</summary>
    public bool Raise(PosixSignal signal)
    {
        int code = signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            return false;
        }

        _source.Cancel();
        return true;
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _source.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        // Cancel the default action (terminate) only for the first signal: the command stops cleanly on its own.
        context.Cancel = Raise(context.Signal);
    }
}
