using System.Globalization;
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
/// Publishes every record of a journal to a JetStream stream, one message per record, exactly once and in order.
/// Each message carries the journal sequence (<see cref="ReplicationHeaders.Sequence"/>) and the journal id, a
/// <c>Nats-Msg-Id</c> of both (the server drops repeats) and the stream sequence it expects last, so a stream
/// written by anyone else is a <see cref="ReplicationException"/> rather than silent duplication. On start and after
/// every failure it reads the stream's last message and continues after the journal sequence found there, so a
/// killed replicator or a restarted server neither loses nor repeats a record. It only reads the journal: the
/// journal's writer is never slowed. A hosted service: <see cref="BackgroundService.StartAsync"/> starts it,
/// <see cref="BackgroundService.StopAsync"/> stops it after committing the cursor.
/// </summary>
public sealed class NatsPushReplicator : BackgroundService, IReplicationLagSource
{
    private readonly NatsPushOptions _options;
    private readonly ILogger _logger;
    private long _lastAcked = -1;
    private long _caughtUpTicks;
    private readonly ReplicatorRun _run;

    /// <summary>Creates a replicator; nothing happens until it is started.</summary>
    /// <param name="options">What to replicate where.</param>
    /// <param name="logger">Where progress and recoveries are logged (never a secret); null for none.</param>
    public NatsPushReplicator(NatsPushOptions options, ILogger<NatsPushReplicator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _caughtUpTicks = Environment.TickCount64;
        _run = new ReplicatorRun(this, "push", _logger, options.JournalFolder, options.Stream, options.MaxRetries, options.InitialBackoff, options.MaxBackoff);
    }

    /// <summary>The progress now: the last journal sequence the stream acknowledged, and the lag behind the journal's end.</summary>
    public ReplicationStatus GetStatus()
    {
        long lastAcked = Interlocked.Read(ref _lastAcked);
        long head = JournalHead(_options.JournalFolder);
        long lag = Math.Max(0, head - (lastAcked + 1));
        return new ReplicationStatus
        {
            Stream = _options.Stream,
            IsRunning = _run.IsRunning,
            IsConnected = _run.IsConnected,
            LastReplicatedSequence = lastAcked,
            LagRecords = lag,
            Lag = lag == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _caughtUpTicks)),
            Recoveries = _run.Recoveries,
            Fault = _run.Fault,
        };
    }

    /// <summary>
    /// The replication status of a journal and a stream without running a replicator (for tools and health checks): the
    /// last journal sequence the stream holds, the journal's records not in the stream, and how long ago the stream
    /// received its last message when records are missing.
    /// </summary>
    /// <param name="options">The journal, the stream and the connection.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The status (not running).</returns>
    /// <exception cref="ReplicationException">The server cannot be reached, refuses the credentials, or the stream is missing or foreign.</exception>
    public static async Task<ReplicationStatus> QueryStatusAsync(NatsPushOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        await using var nats = new NatsConnection(options.Connection.ToNatsOpts() with { MaxReconnectRetry = 0 });
        await NatsConnect.OpenAsync(nats, options.Connection, cancellationToken).ConfigureAwait(false);

        var js = new NatsJSContext(nats);
        StreamState state;
        try
        {
            state = await StreamTail.StateAsync(js, options.Stream, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == NatsFailures.StreamNotFound)
        {
            throw new ReplicationException(ReplicationError.StreamNotFound, $"Stream '{options.Stream}' does not exist.", e);
        }

        long last = state.Messages == 0 ? -1 : (await StreamTail.ReadAsync(js, options.Stream, state.LastSeq, cancellationToken).ConfigureAwait(false)).Sequence;
        long lag = Math.Max(0, JournalHead(options.JournalFolder) - (last + 1));
        TimeSpan since = state.Messages > 0 && DateTimeOffset.TryParse(state.LastTs, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset lastTime)
            ? DateTimeOffset.UtcNow - lastTime
            : TimeSpan.Zero;
        return new ReplicationStatus
        {
            Stream = options.Stream,
            LastReplicatedSequence = last,
            LagRecords = lag,
            Lag = lag == 0 ? TimeSpan.Zero : (since < TimeSpan.Zero ? TimeSpan.Zero : since),
        };
    }

    /// <summary>The sequence the journal's next record will get (its end), or 0 for an empty or missing journal.</summary>
    internal static long JournalHead(string folder)
    {
        try
        {
            using JournalReader end = JournalReader.Open(folder, JournalStart.End);
            return Math.Max(0, end.NextSequence);
        }
        catch (JournalException)
        {
            return 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Replicates until <paramref name="stoppingToken"/> is cancelled or a failure retrying cannot fix (thrown as <see cref="ReplicationException"/>).</summary>
    /// <param name="stoppingToken">Stops replication (the cursor is committed first).</param>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _run.ExecuteAsync(RunAsync, stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        NatsConnectionOptions connection = _options.Connection;
        await using var nats = new NatsConnection(connection.ToNatsOpts());
        _run.Connected(nats);
        await NatsConnect.OpenAsync(nats, _options.Connection, cancellationToken, _options.MaxRetries, _options.InitialBackoff, _options.MaxBackoff).ConfigureAwait(false);
        var js = new NatsJSContext(nats);
        bool streamChecked = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!streamChecked)
            {
                // Before the cursor exists (a missing stream leaves nothing behind), and retried like a publish: a timeout
                // or a server restart while looking the stream up is transient.
                try
                {
                    await EnsureStreamAsync(js, cancellationToken).ConfigureAwait(false);
                    streamChecked = true;
                }
                catch (Exception e) when (e is not ReplicationException && NatsFailures.IsTransient(e) && !cancellationToken.IsCancellationRequested)
                {
                    if (NatsFailures.IsAuthentication(e))
                    {
                        throw NatsFailures.Connect(e, connection.DisplayUrl);
                    }

                    await _run.RetryAfterAsync(e, "Looking up", connection.DisplayUrl, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            JournalReader reader;
            try
            {
                reader = JournalReader.OpenCursor(_options.JournalFolder, _options.EffectiveCursorName, JournalStart.Beginning, _options.CursorOptions);
            }
            catch (JournalException e)
            {
                throw new ReplicationException(ReplicationError.JournalFailed, $"The journal {_options.JournalFolder} could not be read: {e.Message}", e);
            }

            using (reader)
            {
                try
                {
                    (ulong streamLast, long next) = await ReconcileAsync(js, reader, cancellationToken).ConfigureAwait(false);
                    Log.Resuming(_logger, _options.Stream, next, streamLast);
                    await PumpAsync(nats, reader, streamLast, next, _run.Progressed, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is not ReplicationException && NatsFailures.IsTransient(e) && !cancellationToken.IsCancellationRequested)
                {
                    if (NatsFailures.IsAuthentication(e))
                    {
                        throw NatsFailures.Connect(e, connection.DisplayUrl);
                    }

                    await _run.RetryAfterAsync(e, "Publishing to", connection.DisplayUrl, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task EnsureStreamAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        try
        {
            await js.GetStreamAsync(_options.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == NatsFailures.StreamNotFound)
        {
            if (!_options.CreateStream)
            {
                throw new ReplicationException(ReplicationError.StreamNotFound, $"Stream '{_options.Stream}' does not exist.", e);
            }

            await js.CreateStreamAsync(new StreamConfig(_options.Stream, [_options.EffectiveSubject]) { Storage = StreamConfigStorage.File }, cancellationToken)
                .ConfigureAwait(false);
            Log.CreatedStream(_logger, _options.Stream, _options.EffectiveSubject);
        }
        catch (NatsJSApiException e)
        {
            throw new ReplicationException(ReplicationError.PublishRejected, $"Stream '{_options.Stream}' could not be read: {e.Error.Description}", e);
        }
    }

    /// <summary>
    /// Finds where the stream stands (its last stream sequence and the journal sequence to publish next) and moves the
    /// reader there: the stream is the truth, the cursor only a lower bound (it may lag what was acknowledged).
    /// </summary>
    private async Task<(ulong StreamLast, long Next)> ReconcileAsync(NatsJSContext js, JournalReader reader, CancellationToken cancellationToken)
    {
        StreamState state = await StreamTail.StateAsync(js, _options.Stream, cancellationToken).ConfigureAwait(false);
        if (state.LastSeq == 0 || state.Messages == 0)
        {
            return (state.LastSeq, -1);
        }

        ReplicatedMessage last = await StreamTail.ReadAsync(js, _options.Stream, state.LastSeq, cancellationToken).ConfigureAwait(false);
        if (reader.NextSequence >= 0 && reader.JournalId != last.JournalId)
        {
            throw new ReplicationException(ReplicationError.Diverged,
                $"Stream '{_options.Stream}' holds records of journal {last.JournalId:N}, not of {reader.JournalId:N} ({_options.JournalFolder}).");
        }

        long next = last.Sequence + 1;
        Interlocked.Exchange(ref _lastAcked, last.Sequence);
        while (true)
        {
            long readerNext = reader.NextSequence;
            if (readerNext > next)
            {
                throw new ReplicationException(ReplicationError.Diverged,
                    $"Stream '{_options.Stream}' ends at journal sequence {last.Sequence} but the cursor '{_options.EffectiveCursorName}' of {_options.JournalFolder} is already at {readerNext}: records would be missing from the stream.");
            }

            if (readerNext == next)
            {
                break;
            }

            ReadResult skipped = reader.TryRead();
            if (!skipped.IsRecord)
            {
                if (reader.NextSequence >= 0 && reader.NextSequence < next)
                {
                    throw new ReplicationException(ReplicationError.Diverged,
                        $"Stream '{_options.Stream}' holds journal sequence {last.Sequence} but the journal {_options.JournalFolder} ends before it.");
                }

                break; // the journal has not told its first sequence yet (empty): nothing to skip
            }

            if (reader.JournalId != last.JournalId)
            {
                throw new ReplicationException(ReplicationError.Diverged,
                    $"Stream '{_options.Stream}' holds records of journal {last.JournalId:N}, not of {reader.JournalId:N} ({_options.JournalFolder}).");
            }
        }

        return (state.LastSeq, next);
    }

    private async Task PumpAsync(NatsConnection nats, JournalReader reader, ulong streamLast, long next, Action progressed, CancellationToken cancellationToken)
    {
        long lastCommit = Environment.TickCount64;
        long commitEvery = (long)_options.CommitInterval.TotalMilliseconds;
        await using PublishWindow window = await PublishWindow.OpenAsync(nats, _options.MaxInFlight, _options.EffectiveSubject, _options.Stream, streamLast, cancellationToken)
            .ConfigureAwait(false);
        while (true)
        {
            ReadResult read = reader.TryRead();
            if (read.IsRecord)
            {
                long sequence = reader.LastSequence;
                if (next >= 0 && sequence != next)
                {
                    throw new ReplicationException(ReplicationError.Diverged,
                        $"The journal {_options.JournalFolder} gave sequence {sequence} where {next} was expected.");
                }

                next = sequence + 1;
                while (window.IsFull)
                {
                    await window.WaitForAckAsync(cancellationToken).ConfigureAwait(false);
                    TakeAcks(window, progressed);
                }

                // The record is copied before PublishAsync returns; awaiting it keeps the window's buffers single-use.
                await window.PublishAsync(read.Span, reader.JournalId, sequence, cancellationToken).ConfigureAwait(false);
                TakeAcks(window, progressed);
                continue;
            }

            if (read.Status != ReadStatus.Nothing)
            {
                throw new ReplicationException(ReplicationError.JournalFailed,
                    $"Reading the journal {_options.JournalFolder} stopped: {read.Status} {reader.Fault?.Message}");
            }

            // Caught up with the journal: take every acknowledgement, commit, then wait for the writer.
            while (window.Count > 0)
            {
                await window.WaitForAckAsync(cancellationToken).ConfigureAwait(false);
                TakeAcks(window, progressed);
            }

            Interlocked.Exchange(ref _caughtUpTicks, Environment.TickCount64);
            if (Environment.TickCount64 - lastCommit >= commitEvery)
            {
                reader.Commit();
                lastCommit = Environment.TickCount64;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                reader.Commit();
                return;
            }

            try
            {
                await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void TakeAcks(PublishWindow window, Action progressed)
    {
        if (window.TakeAcks())
        {
            Interlocked.Exchange(ref _lastAcked, window.LastAcked);
            progressed();
        }
    }
}
