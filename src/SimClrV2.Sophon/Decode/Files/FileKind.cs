namespace SimClrV2.Sophon.Decode.Files;

/// <summary>What a path names once symbolic links are followed.</summary>
internal enum FileKind
{
    /// <summary>Nothing (or a link to nothing).</summary>
    Missing,

    /// <summary>A regular file: the only kind of file that is read.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A named pipe (FIFO): opening it blocks until a writer appears.</summary>
    Fifo,

    /// <summary>A character device such as <c>/dev/zero</c>: endless or blocking.</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A Unix socket.</summary>
    Socket,

    /// <summary>Anything else.</summary>
    Other,
}
