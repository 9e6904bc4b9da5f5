namespace Kekbit.Core;

/// <summary>
/// Thrown when a channel cannot be created, opened or positioned. <see cref="Error"/> says why and
/// <see cref="Path"/> names the file concerned; the message states both. Hot-path operations
/// (writing and reading records) never throw it: they return <see cref="WriteResult"/> and <see cref="ReadResult"/>.
/// </summary>
public sealed class ChannelException : IOException
{
    /// <summary>Creates an exception for <paramref name="error"/> on <paramref name="path"/>.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="path">The channel file, lock file or folder concerned.</param>
    /// <param name="detail">A sentence that explains the problem to a person.</param>
    /// <param name="innerException">The lower-level failure, if any.</param>
    public ChannelException(ChannelError error, string path, string detail, Exception? innerException = null)
        : base($"{path}: {detail} ({error})", innerException)
    {
        Error = error;
        Path = path;
    }

    /// <summary>What went wrong.</summary>
    public ChannelError Error { get; }

    /// <summary>The channel file, lock file or folder concerned.</summary>
    public string Path { get; }
}
