using Kekbit.Core;

namespace Kekbit.Tool.Channels;

/// <summary>
/// Walks a channel's records from the start to find its state, record count and bytes used. Reading is
/// lock-free and never disturbs a live writer or other readers.
/// </summary>
internal static class ChannelInspector
{
    /// <summary>How many records pass between progress reports (a power of two: checked with a mask).</summary>
    private const long ProgressEvery = 1 << 16;

    /// <summary>Inspects the channel file at <paramref name="channelFile"/>.</summary>
    /// <param name="channelFile">The channel file.</param>
    /// <param name="writers">Live writers on this host, to tell open channels from abandoned ones.</param>
    /// <param name="onProgress">Called now and then with the bytes walked so far.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    /// <exception cref="ChannelException">The file cannot be opened or its header is invalid.</exception>
    public static ChannelReport Inspect(string channelFile, WriterProcesses writers, Action<long>? onProgress = null, CancellationToken cancellationToken = default)
    {
        using ShmReader reader = ShmReader.Open(channelFile);
        long records = 0;
        long lastRecord = -1;
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            lastRecord = result.Position;
            if ((++records & (ProgressEvery - 1)) == 0)
            {
                onProgress?.Invoke(reader.Position);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        onProgress?.Invoke(result.Position);
        var file = new FileInfo(channelFile);
        Metadata metadata = reader.Metadata;
        int? writer = writers.WriterOf(channelFile);
        return new ChannelReport
        {
            Path = channelFile,
            Metadata = metadata,
            State = StateOf(result, metadata, writers, writer, file.LastWriteTimeUtc),
            Records = records,
            BytesUsed = result.Position,
            End = result.Status,
            Failure = result.Failure,
            LastRecordPosition = lastRecord,
            FileLength = file.Length,
            IsFileTruncated = reader.IsFileTruncated,
            WriterProcessId = writer,
            LastWriteTime = file.LastWriteTimeUtc,
            PathChannelId = StorageLayout.TryParseChannelId(channelFile, out ulong id) ? id : null,
        };
    }

    /// <summary>
    /// Like <see cref="Inspect"/>, but a file that cannot be opened gives a report (state corrupted, creating
    /// or unreadable, with the reason) instead of an exception: for listings, where one bad file must not hide the others.
    /// </summary>
    public static ChannelReport InspectOrDescribe(string channelFile, WriterProcesses writers)
    {
        try
        {
            return Inspect(channelFile, writers);
        }
        catch (ChannelException e)
        {
            return new ChannelReport
            {
                Path = channelFile,
                State = e.Error switch
                {
                    ChannelError.StorageNotReady => ChannelState.Creating,
                    ChannelError.StaleLock => ChannelState.Abandoned,
                    ChannelError.StorageNotFound or ChannelError.CouldNotAccessStorage => ChannelState.Unreadable,
                    _ => ChannelState.Corrupted,
                },
                End = ReadStatus.Failed,
                FileLength = File.Exists(channelFile) ? new FileInfo(channelFile).Length : 0,
                Error = e.Message,
                PathChannelId = StorageLayout.TryParseChannelId(channelFile, out ulong id) ? id : null,
            };
        }
    }

    private static ChannelState StateOf(ReadResult end, Metadata metadata, WriterProcesses writers, int? writer, DateTime lastWriteUtc)
    {
        if (end.Status == ReadStatus.Failed)
        {
            return ChannelState.Corrupted;
        }

        // The writer's own rule: a channel is full when 8 bytes or less remain.
        bool full = ((metadata.Capacity - end.Position) & ~7L) <= 8;
        if (full)
        {
            return ChannelState.Full;
        }

        if (end.Status == ReadStatus.Closed)
        {
            return ChannelState.Closed;
        }

        if (writers.IsKnown)
        {
            return writer is null ? ChannelState.Abandoned : ChannelState.Open;
        }

        // No view of other processes: fall back to the readers' rule, silence for longer than the timeout.
        TimeSpan silence = DateTime.UtcNow - lastWriteUtc;
        return silence > metadata.TimeoutSpan ? ChannelState.Abandoned : ChannelState.Open;
    }
}
