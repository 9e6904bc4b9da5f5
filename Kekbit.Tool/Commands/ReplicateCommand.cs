using System.CommandLine;
using System.Globalization;
using Kekbit.Replication.Nats;
using Microsoft.Extensions.Hosting;

namespace Kekbit.Tool.Commands;

/// <summary>
/// <c>kekbit replicate push|mirror|status</c>: replicates a journal to a NATS JetStream stream, mirrors a stream into a
/// local journal, or shows how far replication is behind. The password comes from <c>--password</c> or the
/// <c>KEKBIT_NATS_PASSWORD</c> environment variable and is never printed.
/// </summary>
internal static class ReplicateCommand
{
    private const string PasswordVariable = "KEKBIT_NATS_PASSWORD";

    private sealed record ConnectionOptions(Option<string> Url, Option<string?> Creds, Option<string?> User, Option<string?> Password,
        Option<bool> RequireTls, Option<string?> TlsCa, Option<string?> TlsCert, Option<string?> TlsKey)
    {
        public void AddTo(Command command)
        {
            command.Options.Add(Url);
            command.Options.Add(Creds);
            command.Options.Add(User);
            command.Options.Add(Password);
            command.Options.Add(RequireTls);
            command.Options.Add(TlsCa);
            command.Options.Add(TlsCert);
            command.Options.Add(TlsKey);
        }

        public NatsConnectionOptions Read(ParseResult parse) => new()
        {
            Url = parse.GetValue(Url)!,
            CredentialsFile = parse.GetValue(Creds),
            User = parse.GetValue(User),
            Password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable(PasswordVariable),
            RequireTls = parse.GetValue(RequireTls),
            TlsCaFile = parse.GetValue(TlsCa),
            TlsCertFile = parse.GetValue(TlsCert),
            TlsKeyFile = parse.GetValue(TlsKey),
        };
    }

    public static Command Create(ToolConsole console)
    {
        var command = new Command("replicate", "Replicate journals off-host on NATS JetStream: push a journal to a stream, mirror a stream into a local journal, show the lag.");
        command.Subcommands.Add(Push(console));
        command.Subcommands.Add(Mirror(console));
        command.Subcommands.Add(Status(console));
        return command;
    }

    private static ConnectionOptions Connection() => new(
        new Option<string>("--url") { Description = "The NATS server URL.", DefaultValueFactory = _ => "nats://127.0.0.1:4222" },
        new Option<string?>("--creds") { Description = "A NATS credentials file." },
        new Option<string?>("--user") { Description = "User name (user/password authentication)." },
        new Option<string?>("--password") { Description = $"Password (or the {PasswordVariable} environment variable; never printed)." },
        new Option<bool>("--require-tls") { Description = "Require TLS." },
        new Option<string?>("--tls-ca") { Description = "PEM file of the certificate authorities of the server's certificate." },
        new Option<string?>("--tls-cert") { Description = "Client certificate (PEM) for mutual TLS." },
        new Option<string?>("--tls-key") { Description = "Client certificate's key (PEM) for mutual TLS." });

    private static Option<string> StreamOption() => new("--stream") { Description = "The JetStream stream.", Required = true };

    private static Command Push(ToolConsole console)
    {
        var folder = CommonArguments.Folder("journal", "The journal folder to replicate.");
        var stream = StreamOption();
        var window = CommonArguments.Number("--window", null, 1, 65_536, 256, "Messages published and not yet acknowledged, at most.");
        var connection = Connection();
        var command = new Command("push", "Publish every record of a journal to a stream, exactly once and in order, until interrupted; resumes where it stopped.") { folder, stream, window };
        connection.AddTo(command);
        CommandRunner.SetBody(command, console, (parse, token) => RunService(console, new NatsPushReplicator(new NatsPushOptions
        {
            JournalFolder = parse.GetValue(folder)!,
            Stream = parse.GetValue(stream)!,
            MaxInFlight = parse.GetValue(window),
            Connection = connection.Read(parse),
        }), s => s.GetStatus(), token));
        return command;
    }

    private static Command Mirror(ToolConsole console)
    {
        var folder = CommonArguments.Folder("journal", "The mirror journal folder (created when missing).");
        var stream = StreamOption();
        var noWait = new Option<bool>("--no-wait") { Description = "Stop at once (exit 3) when the stream does not exist, instead of waiting for it to be created." };
        var connection = Connection();
        var command = new Command("mirror", "Consume a stream into a local journal that keeps the origin's sequence numbers, until interrupted; resumes from its own end.") { folder, stream, noWait };
        connection.AddTo(command);
        CommandRunner.SetBody(command, console, (parse, token) => RunService(console, new NatsMirrorReplicator(new NatsMirrorOptions
        {
            JournalFolder = parse.GetValue(folder)!,
            Stream = parse.GetValue(stream)!,
            WaitForStream = !parse.GetValue(noWait),
            Connection = connection.Read(parse),
        }), s => s.GetStatus(), token));
        return command;
    }

    private static Command Status(ToolConsole console)
    {
        var folder = CommonArguments.Folder("journal", "The origin journal folder.");
        var stream = StreamOption();
        var json = CommonArguments.Json();
        var connection = Connection();
        var command = new Command("status", "Show the last journal sequence the stream holds and the lag in records and seconds.") { folder, stream, json };
        connection.AddTo(command);
        CommandRunner.SetBody(command, console, (parse, token) =>
        {
            var options = new NatsPushOptions { JournalFolder = parse.GetValue(folder)!, Stream = parse.GetValue(stream)!, Connection = connection.Read(parse) };
            ReplicationStatus status;
            try
            {
                status = NatsPushReplicator.QueryStatusAsync(options, token).GetAwaiter().GetResult();
            }
            catch (ReplicationException e)
            {
                return CommandRunner.Fail(console, e.Message, ExitCodeOf(e.Error), parse.GetValue(json));
            }

            console.Out.WriteLine(parse.GetValue(json)
                ? string.Create(CultureInfo.InvariantCulture, $"{{\"stream\":\"{status.Stream}\",\"lastReplicatedSequence\":{status.LastReplicatedSequence},\"lagRecords\":{status.LagRecords},\"lagSeconds\":{status.Lag.TotalSeconds:0.###}}}")
                : Line(status));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Line(ReplicationStatus status) => string.Create(CultureInfo.InvariantCulture,
        $"stream {status.Stream}: last replicated sequence {status.LastReplicatedSequence}, lag {status.LagRecords} records, {status.Lag.TotalSeconds:0.0} s");

    private static int RunService<T>(ToolConsole console, T service, Func<T, ReplicationStatus> status, CancellationToken token)
        where T : BackgroundService
    {
        using (service)
        {
            service.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            Task run = service.ExecuteTask!;
            try
            {
                while (Task.WaitAny(new[] { run }, 1000, token) < 0)
                {
                    console.Out.WriteLine(Line(status(service)));
                    console.Out.Flush();
                }

                run.GetAwaiter().GetResult();
                return ExitCodes.Success;
            }
            catch (ReplicationException e)
            {
                return CommandRunner.Fail(console, e.Message, ExitCodeOf(e.Error), json: false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                service.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
                throw;
            }
        }
    }

    /// <summary>Unreachable, refused or missing: 3; a stream that does not match the journal: 1; anything else refused: 4.</summary>
    private static int ExitCodeOf(ReplicationError error) => error switch
    {
        ReplicationError.ServerUnreachable or ReplicationError.AuthenticationFailed or ReplicationError.StreamNotFound => ExitCodes.Unavailable,
        ReplicationError.ForeignMessages or ReplicationError.Diverged or ReplicationError.StartSequenceMismatch => ExitCodes.Damaged,
        ReplicationError.InvalidConfiguration => ExitCodes.Usage,
        _ => ExitCodes.Refused,
    };
}
