using SimClrV2.Sophon.Decode.Files;

namespace SimClrV2.Sophon.Results;

/// <summary>
/// The one rule for files this library and its tool write: a path that exists must be a regular
/// file (links followed) — never a folder, a device node, a FIFO or a socket, which a
/// write-then-rename would replace and a plain write would block on or damage — and never a file
/// the same run reads. Writes go to a temporary file beside the target, then replace it in one
/// rename, so a reader sees the old file or the new one, never half of one.
/// <see cref="PredictionJson.Write(string, IEnumerable{Prediction})"/> writes by it; use it for
/// reports of your own written beside result files.
/// </summary>
public static class OutputFile
{
    /// <summary>Throws unless <paramref name="path"/> may be written: call it before long work, so nothing is computed in vain.</summary>
    /// <param name="path">The output path.</param>
    /// <param name="what">What named it (an option such as <c>--output</c>, a parameter), for the message.</param>
    /// <param name="readFiles">Files the same run reads (inputs, models, labels); none may be the output. Null entries are ignored.</param>
    /// <exception cref="ArgumentException">The path exists and is not a regular file (links followed), or is one of <paramref name="readFiles"/>.</exception>
    public static void Require(string path, string what, IEnumerable<string?> readFiles)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(what);
        ArgumentNullException.ThrowIfNull(readFiles);
        FileStatus target = FileStatus.Of(path);
        if (target.Kind == FileKind.Missing)
        {
            return; // a new file cannot be anything the run reads
        }

        if (target.Kind != FileKind.Regular)
        {
            throw new ArgumentException($"{what} '{path}' is {FileStatus.Describe(target.Kind)}, not a regular file; it is left as it is. Name a new or regular file{(target.Kind == FileKind.Directory ? $" (e.g. '{Path.Combine(path, "results.json")}')" : string.Empty)}.", what);
        }

        foreach (string file in readFiles.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (SameFile(target, path, file))
            {
                throw new ArgumentException($"{what} '{path}' is '{file}', which this run reads; writing there would destroy it. Choose another {what}.", what);
            }
        }
    }

    /// <summary>Writes a file whole or not at all, after <see cref="Require"/>.</summary>
    /// <param name="path">The output path (its folder is created).</param>
    /// <param name="what">What named it, for messages.</param>
    /// <param name="readFiles">Files the same run reads.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    /// <exception cref="ArgumentException">See <see cref="Require"/>.</exception>
    public static void Write(string path, string what, IEnumerable<string?> readFiles, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Require(path, what, readFiles);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            Require(path, what, []); // nothing else took its place meanwhile
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // nothing to delete after the rename
        }
    }

    private static bool SameFile(FileStatus target, string output, string other)
    {
        if (target.HasIdentity)
        {
            FileStatus status = FileStatus.Of(other);
            return status.HasIdentity && status.Device == target.Device && status.Inode == target.Inode;
        }

        return string.Equals(Path.GetFullPath(output), Path.GetFullPath(other), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
