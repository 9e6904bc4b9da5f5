using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>
/// The push replicator's window of published, unacknowledged records, on the core connection rather than NATS.Net's
/// per-message JetStream request (which creates an inbox subscription, a channel and a timeout per message). Every
/// record is a plain PUB with the JetStream headers set here (<c>Nats-Msg-Id</c>, <c>Nats-Expected-Stream</c>,
/// <c>Nats-Expected-Last-Sequence</c>) and a reply subject naming its slot in the window; ONE wildcard subscription
/// receives every acknowledgement, parsed without allocating (<see cref="PubAck"/>), and marks its slot. The slot
/// subjects are built once, a slot is reused only after its acknowledgement, and each window (one per pump run) has
/// its own inbox, so an acknowledgement of an earlier run can never complete a record of this one.
/// Used by one pump at a time: not thread-safe, except that acknowledgements are queued by NATS.Net's reader.
/// </summary>
internal sealed class PublishWindow : IAsyncDisposable
{
    private const string MsgIdHeader = "Nats-Msg-Id";
    private const string ExpectedStreamHeader = "Nats-Expected-Stream";
    private const string ExpectedLastSequenceHeader = "Nats-Expected-Last-Sequence";

    private readonly NatsConnection _nats;
    private readonly INatsSub<PubAck> _acks;
    private readonly string _subject;
    private readonly string _stream;
    private readonly TimeSpan _ackTimeout;
    private readonly CancellationToken _stopping;
    private CancellationTokenSource _timer;
    private readonly string[] _replyTo;
    private readonly long[] _sequence;
    private readonly long[] _sentAt;
    private readonly bool[] _acked;
    private readonly NatsHeaders _headers = new();
    private byte[] _payload = new byte[256];
    private Guid _journalId;
    private string _msgIdPrefix = string.Empty;
    private int _head;
    private int _count;
    private ulong _expectedLast;

    private PublishWindow(NatsConnection nats, INatsSub<PubAck> acks, string inbox, int capacity, string subject, string stream, ulong streamLast, CancellationToken cancellationToken)
    {
        _nats = nats;
        _acks = acks;
        _subject = subject;
        _stream = stream;
        _expectedLast = streamLast;
        _ackTimeout = nats.Opts.RequestTimeout;
        _stopping = cancellationToken;
        _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _replyTo = new string[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _replyTo[i] = inbox + "." + i.ToString(CultureInfo.InvariantCulture);
        }

        _sequence = new long[capacity];
        _sentAt = new long[capacity];
        _acked = new bool[capacity];
        _headers[ExpectedStreamHeader] = stream;
    }

    /// <summary>Records published and not yet acknowledged in order (a later one may already be acknowledged).</summary>
    public int Count => _count;

    /// <summary>Whether the next publish must wait for an acknowledgement.</summary>
    public bool IsFull => _count == _replyTo.Length;

    /// <summary>The last journal sequence acknowledged with every record before it; -1 before the first.</summary>
    public long LastAcked { get; private set; } = -1;

    /// <summary>Subscribes the window's inbox (<paramref name="capacity"/> slots) on <paramref name="nats"/>; the stream's last sequence is <paramref name="streamLast"/>.</summary>
    public static async Task<PublishWindow> OpenAsync(NatsConnection nats, int capacity, string subject, string stream, ulong streamLast, CancellationToken cancellationToken)
    {
        // Under the user's inbox prefix (what permissions usually allow for replies) but not under the connection's own
        // inbox, which NATS.Net routes through its request multiplexer by exact subject: a wildcard there never matches.
        string inbox = nats.Opts.InboxPrefix + "." + Guid.NewGuid().ToString("N");

        // The channel holds every acknowledgement the window can have outstanding, so none is ever dropped.
        var opts = new NatsSubOpts { ChannelOpts = new NatsSubChannelOpts { Capacity = capacity + 64, FullMode = System.Threading.Channels.BoundedChannelFullMode.DropNewest } };
        INatsSub<PubAck> acks = await nats.SubscribeCoreAsync(inbox + ".*", serializer: PubAckDeserializer.Instance, opts: opts, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new PublishWindow(nats, acks, inbox, capacity, subject, stream, streamLast, cancellationToken);
    }

    /// <summary>
    /// Publishes record <paramref name="sequence"/> of journal <paramref name="journalId"/> into the next slot; the window
    /// must not be full. <paramref name="record"/> and the headers are copied before this returns (NATS.Net serializes a
    /// publish synchronously when connected); the caller awaits the result before the next publish, which covers the
    /// disconnected path where NATS.Net serializes after reconnecting.
    /// </summary>
    public ValueTask PublishAsync(ReadOnlySpan<byte> record, Guid journalId, long sequence, CancellationToken cancellationToken)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The publish window is full.");
        }

        if (record.Length > _payload.Length)
        {
            _payload = new byte[Math.Max(record.Length, _payload.Length * 2)];
        }

        record.CopyTo(_payload);
        if (journalId != _journalId || _msgIdPrefix.Length == 0)
        {
            _journalId = journalId;
            string id = journalId.ToString("N");
            _msgIdPrefix = id + ":"; // Nats-Msg-Id = journal id (32 hex digits), ':', journal sequence
            _headers[ReplicationHeaders.JournalId] = id;
        }

        string sequenceText = sequence.ToString(CultureInfo.InvariantCulture);
        _headers[ReplicationHeaders.Sequence] = sequenceText;
        _headers[MsgIdHeader] = string.Concat(_msgIdPrefix, sequenceText);
        _headers[ExpectedLastSequenceHeader] = _expectedLast.ToString(CultureInfo.InvariantCulture);

        int slot = (_head + _count) % _replyTo.Length;
        _sequence[slot] = sequence;
        _sentAt[slot] = Environment.TickCount64;
        _acked[slot] = false;
        _count++;
        _expectedLast++;
        return _nats.PublishAsync(_subject, new ReadOnlyMemory<byte>(_payload, 0, record.Length), _headers, _replyTo[slot],
            NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Takes the acknowledgements received so far and moves <see cref="LastAcked"/> over the acknowledged prefix;
    /// returns whether it moved. A refused record throws: a wrong-last-sequence refusal as the transient
    /// <see cref="NatsJSApiException"/> (the replicator reconciles with the stream's end, which tells a lost publish of
    /// ours from a stream written by someone else), any other as <see cref="ReplicationError.PublishRejected"/>.
    /// </summary>
    public bool TakeAcks()
    {
        while (_acks.Msgs.TryRead(out NatsMsg<PubAck> msg))
        {
            if (msg.HasNoResponders)
            {
                throw new NatsNoRespondersException();
            }

            if (!TrySlot(msg.Subject, out int slot))
            {
                continue; // not a slot in flight (cannot happen with a fresh inbox per window; ignored rather than trusted)
            }

            PubAck ack = msg.Data;
            if (ack.IsError)
            {
                var error = new ApiError { Code = 400, ErrCode = ack.ErrorCode, Description = ack.ErrorDescription ?? string.Empty };
                if (ack.ErrorCode == NatsFailures.WrongLastSequence)
                {
                    throw new NatsJSApiException(error);
                }

                throw new ReplicationException(ReplicationError.PublishRejected,
                    $"Stream '{_stream}' rejected journal sequence {_sequence[slot]}: {error.Description} ({error.ErrCode})", new NatsJSApiException(error));
            }

            _acked[slot] = true;
        }

        bool moved = false;
        while (_count > 0 && _acked[_head])
        {
            LastAcked = _sequence[_head];
            _acked[_head] = false;
            _head = (_head + 1) % _replyTo.Length;
            _count--;
            moved = true;
        }

        return moved;
    }

    /// <summary>
    /// Waits until an acknowledgement can be taken; a <see cref="TimeoutException"/> when the oldest record waited the
    /// connection's request timeout (lost in a reconnect: the replicator reconciles), a <see cref="NatsException"/> when
    /// the subscription ended.
    /// </summary>
    public async ValueTask WaitForAckAsync(CancellationToken cancellationToken)
    {
        if (_acks.Msgs.TryPeek(out _) || _count == 0)
        {
            return;
        }

        long remaining = _sentAt[_head] + (long)_ackTimeout.TotalMilliseconds - Environment.TickCount64;
        if (remaining <= 0)
        {
            throw new TimeoutException($"Stream '{_stream}' did not acknowledge journal sequence {_sequence[_head]} within {_ackTimeout.TotalSeconds:0.#} s.");
        }

        if (_timer.IsCancellationRequested)
        {
            // The previous wait's timer fired after its acknowledgement arrived: a cancelled source cannot be re-armed.
            _timer.Dispose();
            _timer = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        }

        _timer.CancelAfter(TimeSpan.FromMilliseconds(remaining));
        bool open;
        try
        {
            open = await _acks.Msgs.WaitToReadAsync(_timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            if (_acks.Msgs.TryPeek(out _))
            {
                return;
            }

            throw new TimeoutException($"Stream '{_stream}' did not acknowledge journal sequence {_sequence[_head]} within {_ackTimeout.TotalSeconds:0.#} s.");
        }

        _timer.CancelAfter(Timeout.InfiniteTimeSpan);
        if (!open)
        {
            throw new NatsException("The acknowledgement subscription ended.");
        }
    }

    private bool TrySlot(string subject, out int slot)
    {
        int dot = subject.LastIndexOf('.');
        if (dot < 0 || !int.TryParse(subject.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out slot)
            || slot >= _replyTo.Length || !string.Equals(subject, _replyTo[slot], StringComparison.Ordinal))
        {
            slot = -1;
            return false;
        }

        int age = (slot - _head + _replyTo.Length) % _replyTo.Length;
        return age < _count && !_acked[slot];
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        try
        {
            await _acks.DisposeAsync().ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // The connection is gone: the server dropped the subscription with it.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
