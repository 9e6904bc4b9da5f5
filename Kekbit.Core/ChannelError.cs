namespace Kekbit.Core;

/// <summary>Why a channel could not be created, opened or positioned. Carried by <see cref="ChannelException"/>.</summary>
public enum ChannelError
{
    /// <summary>The file does not start with the kekbit signature ("*KEKBIT*"), or its header was never completed.</summary>
    InvalidSignature,

    /// <summary>The file was written by a newer version of the format than this reader understands.</summary>
    IncompatibleVersion,

    /// <summary>The capacity is below 16384 bytes, not a multiple of 8, or larger than this implementation maps.</summary>
    InvalidCapacity,

    /// <summary>The max record length is not a multiple of 8 or exceeds what the capacity allows.</summary>
    InvalidMaxRecordLength,

    /// <summary>The tick unit id is not 0, 3, 6 or 9.</summary>
    InvalidTickUnit,

    /// <summary>The file is too short to hold the 128-byte metadata.</summary>
    FileTooShort,

    /// <summary>No channel file exists at the storage path.</summary>
    StorageNotFound,

    /// <summary>The writer is still creating the channel (its <c>.lock</c> file exists); try again shortly.</summary>
    StorageNotReady,

    /// <summary>A <c>.lock</c> file was left by a creator process that is no longer running; delete it to recover.</summary>
    StaleLock,

    /// <summary>A channel already exists at the storage path; channels are never overwritten.</summary>
    StorageAlreadyExists,

    /// <summary>The root folder exists but is not a folder.</summary>
    InvalidRootFolder,

    /// <summary>The file system has no room for the channel; nothing was left behind.</summary>
    InsufficientSpace,

    /// <summary>The file or a folder could not be created, opened or mapped (permissions, I/O error).</summary>
    CouldNotAccessStorage,

    /// <summary>A position to resume from is not the start of a record the writer published.</summary>
    InvalidPosition,
}
