using Microsoft.Extensions.Logging;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>The replicators' log messages (source-generated: nothing is formatted when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Error, "Replication between journal {Folder} and stream {Stream} stopped: {Error}")]
    public static partial void Stopped(ILogger logger, Exception exception, string folder, string stream, ReplicationError error);

    [LoggerMessage(2, LogLevel.Warning, "Replication with stream {Stream} failed ({Reason}); recovery {Attempt} of {Max} in {WaitMs} ms")]
    public static partial void Retrying(ILogger logger, string stream, string reason, int attempt, int max, long waitMs);

    [LoggerMessage(3, LogLevel.Information, "Created stream {Stream} on subject {Subject}")]
    public static partial void CreatedStream(ILogger logger, string stream, string subject);

    [LoggerMessage(4, LogLevel.Information, "Replication with stream {Stream} resumes at journal sequence {Next} (stream sequence {StreamSequence})")]
    public static partial void Resuming(ILogger logger, string stream, long next, ulong streamSequence);

    [LoggerMessage(5, LogLevel.Warning, "Stream {Stream} does not exist yet: the mirror waits for it")]
    public static partial void WaitingForStream(ILogger logger, string stream);

    [LoggerMessage(6, LogLevel.Information, "Stream {Stream} exists now: the mirror starts")]
    public static partial void StreamAppeared(ILogger logger, string stream);
}
