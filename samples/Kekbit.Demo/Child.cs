using System.Diagnostics;
using System.Globalization;
using Kekbit.Samples;

namespace Kekbit.Demo;

/// <summary>One of the demo's child processes, as the conductor sees it: its progress, its result line, its exit code.</summary>
internal sealed class Child : IDisposable
{
    private readonly Process _process;
    private readonly ManualResetEventSlim _ready = new();
    private readonly TaskCompletionSource _outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _progress;

    private Child(string role, Process process)
    {
        Role = role;
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
    }

    public string Role { get; }

    /// <summary>Records written or read so far, as the child last reported.</summary>
    public long Progress => Interlocked.Read(ref _progress);

    /// <summary>The JSON the child printed after <see cref="Roles.Result"/>, once it has.</summary>
    public string? Result { get; private set; }

    public bool HasExited => _process.HasExited && _outputEnded.Task.IsCompleted;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts this program again in <paramref name="role"/>.</summary>
    public static Child Start(string role, params string[] args) => new(role, SelfProcess.Start([role, .. args]));

    /// <summary>Waits until the child says it is ready; false if it exits or the deadline passes first.</summary>
    public bool WaitUntilReady(TimeSpan deadline) =>
        WaitHandle.WaitAny([_ready.WaitHandle, _outputEnded.Task.AsyncWaitHandle()], deadline) == 0;

    /// <summary>Sends one line to the child's standard input.</summary>
    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the child to exit and its output to be read; kills it after <paramref name="deadline"/>.</summary>
    public bool WaitForExit(TimeSpan deadline)
    {
        if (_process.WaitForExit(deadline) && _outputEnded.Task.Wait(deadline))
        {
            return true;
        }

        Kill();
        return false;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _ready.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _outputEnded.TrySetResult();
        }
        else if (line == Roles.Ready)
        {
            _ready.Set();
        }
        else if (line.StartsWith(Roles.Progress, StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _progress, long.Parse(line.AsSpan(Roles.Progress.Length), CultureInfo.InvariantCulture));
        }
        else if (line.StartsWith(Roles.Result, StringComparison.Ordinal))
        {
            Result = line[Roles.Result.Length..];
        }
    }
}
