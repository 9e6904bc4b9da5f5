using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Replication.Nats.Diagnostics;
using Kekbit.Replication.Nats.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Kekbit.Replication.Nats;

/// <summary>
/// Consumes a stream written by <see cref="NatsPushReplicator"/> into a local journal that keeps the origin's
/// sequence numbers: record n of the origin is record n of the mirror. It resumes from its own journal's end, so a
/// killed mirror continues without duplicates or gaps (what it wrote survives a process kill; it is flushed to disk
/// every <see cref="NatsMirrorOptions.FlushInterval"/> and on stop). A message without Kekbit headers, another
/// journal's records or a gap stop it with a <see cref="ReplicationException"/> before anything is written. A hosted
/// service: <see cref="BackgroundService.StartAsync"/> starts it, <see cref="BackgroundService.StopAsync"/> stops it.
/// </summary>
public sealed class NatsMirrorReplicator : BackgroundService, IReplicationLagSource
{
    private readonly NatsMirrorOptions _options;
    private readonly ILogger _logger;
    private long _lastWritten = -1;
    private long _pending;
    private long _caughtUpTicks;
    private int _waitingForStream;
    private JournalWriter? _writer;   // the run's mirror journal: touched by the run only
    private readonly ReplicatorRun _run;

    /// <summary>Creates a mirror; nothing happens until it is started.</summary>
    /// <param name="options">Which stream to mirror into which folder.</param>
    /// <param name="logger">Where progress and recoveries are logged (never a secret); null for none.</param>
    public NatsMirrorReplicator(NatsMirrorOptions options, ILogger<NatsMirrorReplicator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _caughtUpTicks = Environment.TickCount64;
        _run = new ReplicatorRun(this, "mirror", _logger, options.JournalFolder, options.Stream, options.MaxRetries, options.InitialBackoff, options.MaxBackoff);
    }

    /// <summary>The progress now: the last origin sequence the mirror journal holds, and the messages the stream holds beyond it.</summary>
    public ReplicationStatus GetStatus()
    {
        long pending = Interlocked.Read(ref _pending);
        return new ReplicationStatus
        {
            Stream = _options.Stream,
            IsRunning = _run.IsRunning,
            IsConnected = _run.IsConnected,
            LastReplicatedSequence = Interlocked.Read(ref _lastWritten),
            LagRecords = pending,
            Lag = pending == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _caughtUpTicks)),
            Recoveries = _run.Recoveries,
            Fault = _run.Fault,
            IsWaitingForStream = Volatile.Read(ref _waitingForStream) == 1,
        };
    }

    /// <summary>Mirrors until <paramref name="stoppingToken"/> is cancelled or a failure retrying cannot fix (thrown as <see cref="ReplicationException"/>).</summary>
    /// <param name="stoppingToken">Stops the mirror (the journal is flushed first).</param>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _run.ExecuteAsync(RunAsync, stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        NatsConnectionOptions connection = _options.Connection;
        await using var nats = new NatsConnection(connection.ToNatsOpts());
        _run.Connected(nats);
        await NatsConnect.OpenAsync(nats, connection, cancellationToken).ConfigureAwait(false);

        var js = new NatsJSContext(nats);
        bool started = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!started)
                    {
                        await WaitForStreamAsync(js, cancellationToken).ConfigureAwait(false);

                        // Check the stream before the journal exists, so bad input leaves nothing behind locally.
                        await CheckFirstMessageAsync(js, cancellationToken).ConfigureAwait(false);

                        // An existing mirror journal is opened now (its end says where to resume); a new one only when the
                        // first message arrives, numbered from that message's origin sequence (the stream may have lost its
                        // start to retention or limits).
                        if (JournalExists(_options.JournalFolder))
                        {
                            OpenJournal(firstSequence: null);
                        }

                        started = true;
                    }

                    await ConsumeAsync(js, _run.Progressed, cancellationToken).ConfigureAwait(false);
                    _writer?.Flush();
                    return;
                }
                catch (Exception e) when (e is not ReplicationException && NatsFailures.IsTransient(e) && !cancellationToken.IsCancellationRequested)
                {
                    // Also while starting: a stream trimmed between reading its state and its first message, a server restart.
                    await _run.RetryAfterAsync(e, "Consuming", connection.DisplayUrl, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    _writer?.Flush();
                    return;
                }
            }
        }
        finally
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>
    /// Returns once the stream exists. A missing stream is <see cref="ReplicationError.StreamNotFound"/> when
    /// <see cref="NatsMirrorOptions.WaitForStream"/> is off; otherwise the mirror logs once, says so in its status and
    /// looks again after a backoff (doubling from <see cref="NatsMirrorOptions.InitialBackoff"/> to
    /// <see cref="NatsMirrorOptions.MaxBackoff"/>), for as long as it runs.
    /// </summary>
    private async Task WaitForStreamAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await js.GetStreamAsync(_options.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _waitingForStream, 0) == 1)
                {
                    Log.StreamAppeared(_logger, _options.Stream);
                }

                return;
            }
            catch (NatsJSApiException e) when (e.Error.ErrCode == NatsFailures.StreamNotFound)
            {
                if (!_options.WaitForStream)
                {
                    throw new ReplicationException(ReplicationError.StreamNotFound, $"Stream '{_options.Stream}' does not exist.", e);
                }

                if (Interlocked.Exchange(ref _waitingForStream, 1) == 0)
                {
                    Log.WaitingForStream(_logger, _options.Stream);
                }

                await Task.Delay(Backoff.Delay(_options.InitialBackoff, _options.MaxBackoff, attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool JournalExists(string folder)
    {
        try
        {
            return Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any();
        }
        catch (IOException e)
        {
            throw new ReplicationException(ReplicationError.JournalFailed, $"The mirror journal {folder} could not be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ReplicationException(ReplicationError.JournalFailed, $"The mirror journal {folder} could not be read: {e.Message}", e);
        }
    }

    /// <summary>Opens the mirror journal; a new one starts at <paramref name="firstSequence"/> (an existing one keeps its numbering).</summary>
    private JournalWriter OpenJournal(long? firstSequence)
    {
        JournalWriterOptions options = _options.WriterOptions ?? JournalWriterOptions.Default;
        if (firstSequence is long first)
        {
            options = options.WithFirstSequence(first);
        }

        try
        {
            JournalWriter writer = JournalWriter.Open(_options.JournalFolder, options);
            _writer = writer;
            Interlocked.Exchange(ref _lastWritten, writer.NextSequence - 1);
            return writer;
        }
        catch (JournalException e)
        {
            throw new ReplicationException(ReplicationError.JournalFailed, $"The mirror journal {_options.JournalFolder} could not be opened: {e.Message}", e);
        }
    }

    private async Task CheckFirstMessageAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        StreamState state = await StreamTail.StateAsync(js, _options.Stream, cancellationToken).ConfigureAwait(false);
        if (state.Messages > 0)
        {
            await StreamTail.ReadAsync(js, _options.Stream, state.FirstSeq, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The stream sequence that holds journal sequence <paramref name="next"/> (records are dense in the stream), or the first one to try.</summary>
    private async Task<ulong> LocateAsync(NatsJSContext js, long next, CancellationToken cancellationToken)
    {
        StreamState state = await StreamTail.StateAsync(js, _options.Stream, cancellationToken).ConfigureAwait(false);
        if (state.Messages == 0)
        {
            return Math.Max(1, state.LastSeq + 1);
        }

        ReplicatedMessage first = await StreamTail.ReadAsync(js, _options.Stream, state.FirstSeq, cancellationToken).ConfigureAwait(false);
        if (next <= first.Sequence)
        {
            return state.FirstSeq;
        }

        ulong candidate = state.FirstSeq + (ulong)(next - first.Sequence);
        if (candidate > state.LastSeq)
        {
            return Math.Min(candidate, state.LastSeq + 1);
        }

        ReplicatedMessage found = await StreamTail.ReadAsync(js, _options.Stream, candidate, cancellationToken).ConfigureAwait(false);
        return found.Sequence == next ? candidate : state.FirstSeq;
    }

    private async Task ConsumeAsync(NatsJSContext js, Action progressed, CancellationToken cancellationToken)
    {
        // A new mirror journal starts where the options ask (WriterOptions.FirstSequence) or at the stream's first message.
        long? wanted = _writer is null ? _options.WriterOptions?.FirstSequence : null;
        long resumeAt = _writer?.NextSequence ?? wanted ?? -1;
        ulong start = await LocateAsync(js, resumeAt, cancellationToken).ConfigureAwait(false);
        INatsJSConsumer consumer = await js.CreateOrderedConsumerAsync(_options.Stream, new NatsJSOrderedConsumerOpts
        {
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = start,
        }, cancellationToken).ConfigureAwait(false);
        Log.Resuming(_logger, _options.Stream, resumeAt, start);

        Guid? origin = null;
        long lastFlush = Environment.TickCount64;
        long flushEvery = (long)_options.FlushInterval.TotalMilliseconds;
        await foreach (NatsJSMsg<byte[]> msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!ReplicatedMessage.TryParse(msg.Headers, out ReplicatedMessage message))
            {
                throw new ReplicationException(ReplicationError.ForeignMessages,
                    $"Stream '{_options.Stream}' holds a message (stream sequence {msg.Metadata?.Sequence.Stream}, subject '{msg.Subject}') that Kekbit replication did not write.");
            }

            if (origin is { } known && known != message.JournalId)
            {
                throw new ReplicationException(ReplicationError.Diverged,
                    $"Stream '{_options.Stream}' mixes records of journals {known:N} and {message.JournalId:N}.");
            }

            origin = message.JournalId;
            JournalWriter? writer = _writer;
            if (writer is null)
            {
                if (wanted is long first && message.Sequence != first)
                {
                    if (message.Sequence < first)
                    {
                        continue; // before the asked start
                    }

                    throw new ReplicationException(ReplicationError.StartSequenceMismatch,
                        $"The mirror journal {_options.JournalFolder} is asked to start at origin sequence {first} (WriterOptions.FirstSequence) but stream '{_options.Stream}' holds nothing before origin sequence {message.Sequence}.");
                }

                writer = OpenJournal(message.Sequence);
            }

            long next = writer.NextSequence;
            if (message.Sequence < next)
            {
                continue; // already mirrored (a resume that started early)
            }

            if (message.Sequence > next)
            {
                throw new ReplicationException(ReplicationError.Diverged,
                    $"Stream '{_options.Stream}' gave origin sequence {message.Sequence} where the mirror journal {_options.JournalFolder} expects {next}: a gap (the stream no longer holds the records between).");
            }

            WriteResult written = writer.Write(msg.Data ?? []);
            if (written.Status != WriteStatus.Success)
            {
                throw new ReplicationException(ReplicationError.JournalFailed,
                    $"The mirror journal {_options.JournalFolder} refused origin sequence {message.Sequence}: {written.Status}.");
            }

            Interlocked.Exchange(ref _lastWritten, message.Sequence);
            long pending = (long)(msg.Metadata?.NumPending ?? 0);
            Interlocked.Exchange(ref _pending, pending);
            if (pending == 0)
            {
                Interlocked.Exchange(ref _caughtUpTicks, Environment.TickCount64);
            }

            progressed();
            if (Environment.TickCount64 - lastFlush >= flushEvery)
            {
                writer.Flush();
                lastFlush = Environment.TickCount64;
            }
        }
    }
}
