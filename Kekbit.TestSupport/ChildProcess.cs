using System.Diagnostics;
using System.Text;

namespace Kekbit.TestSupport;

/// <summary>
/// Runs Kekbit.TestAgent (a separate program built beside the tests) as a real child process, capturing
/// its output. Every wait has a deadline; a child still running at dispose is killed.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the test agent with <paramref name="args"/>.</summary>
    public static ChildProcess StartAgent(params string[] args)
    {
        string agent = Path.Combine(AppContext.BaseDirectory, "Kekbit.TestAgent.dll");
        if (!File.Exists(agent))
        {
            throw new FileNotFoundException("The test agent was not built beside the tests.", agent);
        }

        return Start("dotnet", [agent, .. args]);
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/>, capturing its output.</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (child._gate)
            {
                child._stdout.Append(e.Data).Append('\n');
                child._lines.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._gate)
                {
                    child._stderr.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Waits until a line of output satisfies <paramref name="predicate"/>, or fails after <paramref name="timeout"/>.</summary>
    public string WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int seen = 0;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (predicate(_lines[seen]))
                    {
                        return _lines[seen];
                    }
                }
            }

            if (_process.HasExited && seen == LineCount())
            {
                _process.WaitForExit(); // Drains the output handlers.
                lock (_gate)
                {
                    if (seen == _lines.Count)
                    {
                        break;
                    }
                }

                continue;
            }

            Thread.Sleep(5);
        }

        throw new TimeoutException($"No matching line within {timeout}. stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
    }

    /// <summary>Waits for the process to exit; kills it and fails after <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"The child did not exit within {timeout}. stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        _process.WaitForExit(); // Drains the output handlers.
        return _process.ExitCode;
    }

    /// <summary>Kills the process (SIGKILL on Unix) and waits for it to go.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private int LineCount()
    {
        lock (_gate)
        {
            return _lines.Count;
        }
    }
}
