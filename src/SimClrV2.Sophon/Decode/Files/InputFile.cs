using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Decode.Files;

/// <summary>Opens input files only when they are regular files, with errors that name the path and the fix.</summary>
internal static class InputFile
{
    /// <summary>Throws unless <paramref name="status"/> (of <paramref name="path"/>) is a regular file.</summary>
    /// <param name="status">The path's status.</param>
    /// <param name="path">The path.</param>
    /// <param name="what">What the file should be, for the message (e.g. "image", "CIFAR-10 file").</param>
    /// <param name="missingHint">Added to the message when nothing is there (what to pass instead).</param>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="InvalidDataException">It is a folder, a FIFO, a device or a socket.</exception>
    public static void Require(FileStatus status, string path, string what, string? missingHint = null)
    {
        switch (status.Kind)
        {
            case FileKind.Regular:
                return;
            case FileKind.Missing:
                throw new FileNotFoundException(
                    path.Contains('\uFFFD', StringComparison.Ordinal)
                        ? $"{Capitalise(what)} '{path}' cannot be opened: its name is not valid UTF-8, and .NET on Linux cannot open such a path; rename the file (e.g. convmv -f latin1 -t utf8)."
                        : $"{Capitalise(what)} '{path}' does not exist{(missingHint is null ? "." : $"; {missingHint}")}",
                    path);
            default:
                throw InputErrors.Create(PredictionErrorKind.Unreadable, $"{Capitalise(what)} '{path}' is {FileStatus.Describe(status.Kind)}, not a regular file; only regular files are read.");
        }
    }

    /// <summary>Opens a path for reading after checking, links followed and before any open, that it is a regular file.</summary>
    /// <param name="path">The path.</param>
    /// <param name="what">What the file should be, for messages.</param>
    /// <param name="bufferSize">The stream's buffer (1 for none).</param>
    /// <param name="missingHint">Added to the message when nothing is there.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="InvalidDataException">It is a folder, a FIFO, a device or a socket.</exception>
    public static FileStream OpenRead(string path, string what, int bufferSize = 4096, string? missingHint = null)
    {
        Require(FileStatus.Of(path), path, what, missingHint);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
    }

    private static string Capitalise(string what) => string.Concat(what[..1].ToUpperInvariant(), what.AsSpan(1));
}
