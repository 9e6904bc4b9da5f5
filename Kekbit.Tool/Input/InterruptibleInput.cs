namespace Kekbit.Tool.Input;

/// <summary>
/// A read-only view of an input stream whose reads give up when a token is cancelled. A blocking read of standard
/// input cannot be interrupted, so each read runs on the thread pool while the caller waits for it or for the
/// token; after a cancellation the abandoned read may finish in the background, and its bytes are dropped.
/// One hand-over per filled buffer (64 KiB of lines), not per record.
/// </summary>
internal sealed class InterruptibleInput : Stream
{
    private readonly Stream _input;
    private readonly CancellationToken _cancellationToken;
    private byte[] _chunk = [];

    public InterruptibleInput(Stream input, CancellationToken cancellationToken)
    {
        _input = input;
        _cancellationToken = cancellationToken;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <exception cref="OperationCanceledException">The token was cancelled before the read completed.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        // Reads land in a buffer of our own, never the caller's: a read abandoned after a cancellation may still
        // complete. No read follows a cancellation, so the buffer is reused until then.
        if (_chunk.Length < count)
        {
            _chunk = new byte[count];
        }

        byte[] chunk = _chunk;
        Task<int> read = Task.Run(() => _input.Read(chunk, 0, count), CancellationToken.None);
        // WaitAny throws only for the cancellation; a failed read rethrows its own exception (an IOException), unwrapped.
        Task.WaitAny([read], _cancellationToken);
        int bytes = read.GetAwaiter().GetResult();
        chunk.AsSpan(0, bytes).CopyTo(buffer.AsSpan(offset));
        return bytes;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
