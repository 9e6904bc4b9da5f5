namespace Kekbit.Journal;

/// <summary>A journal operation failed; <see cref="Error"/> says why and the message names the file concerned.</summary>
public sealed class JournalException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the operation failed.</param>
    /// <param name="path">The file or folder concerned.</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public JournalException(JournalError error, string path, string message, Exception? innerException = null)
        : base($"{error}: {message} ({path})", innerException)
    {
        Error = error;
        Path = path;
    }

    /// <summary>Why the operation failed.</summary>
    public JournalError Error { get; }

    /// <summary>The file or folder concerned.</summary>
    public string Path { get; }
}
