using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kekbit.TestSupport;

/// <summary>
/// A real nats-server with JetStream on 127.0.0.1, a free port and a temporary store folder. Starting fails the test
/// (never skips) when the server cannot start. <see cref="RestartAsync"/> stops and starts the same server on the same
/// port and store. Dispose stops it and deletes the store.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _arguments;
    private Process? _process;

    private NatsServer(int port, string store, string? user, string? password)
    {
        Port = port;
        StoreDirectory = store;
        _arguments = $"-js -sd {store} -a 127.0.0.1 -p {port}" + (user is null ? "" : $" --user {user} --pass {password}");
    }

    public int Port { get; }

    public string StoreDirectory { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The CPU time the running server process used so far (user and system); zero when it is not running.</summary>
    public TimeSpan ProcessorTime => _process is { HasExited: false } process ? process.TotalProcessorTime : TimeSpan.Zero;

    /// <summary>Starts a server; throws (failing the test) if nats-server is missing or does not listen within 20 s.</summary>
    public static async Task<NatsServer> StartAsync(string? user = null, string? password = null)
    {
        string store = Path.Combine(Path.GetTempPath(), $"kekbit-nats-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(store);
        var server = new NatsServer(FreePort(), store, user, password);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>A port nobody listens on (bound then released at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the server (SIGKILL: a crash, not a clean shutdown).</summary>
    public async Task StopAsync()
    {
        Process? process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(deadline.Token);
        process.Dispose();
    }

    /// <summary>Starts the server again on the same port and store (after <see cref="StopAsync"/>).</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    /// <summary>Stops and starts the same server on the same port and store.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("nats-server", _arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("nats-server is not installed (apt-get install nats-server); the replication tests need it.", e);
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // The port may still be in TIME_WAIT or the store locked just after a stop: poll until it accepts connections.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited with {process.ExitCode} ({_arguments})");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
