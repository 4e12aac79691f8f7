namespace SimClrV2.Sophon.Decode.Files;

/// <summary>
/// Lists the files under a folder, recursively, visiting each real folder once: a link back to an
/// ancestor (<c>up -&gt; ..</c>) or to a folder already listed is not entered again, so link cycles
/// end. Where folder identities are unknown (no <c>statx</c>), links to folders are not followed.
/// A sub-folder that cannot be listed is reported, not thrown, so the rest is still read.
/// </summary>
internal static class FolderWalk
{
    /// <summary>One file found, or one sub-folder that could not be listed.</summary>
    /// <param name="FullPath">The path.</param>
    /// <param name="RelativePath">The path relative to the root, with '/' separators.</param>
    /// <param name="Error">Why a folder could not be listed, or null for a file.</param>
    public readonly record struct Entry(string FullPath, string RelativePath, string? Error);

    /// <summary>The files under <paramref name="root"/> whose extension passes <paramref name="include"/>, in ordinal order of their relative paths.</summary>
    /// <param name="root">An existing folder.</param>
    /// <param name="include">Which files to list (by name).</param>
    /// <param name="excluded">Receives the full path of each file <paramref name="include"/> turned down, in ordinal order; null to ignore them.</param>
    /// <returns>The entries.</returns>
    public static List<Entry> Files(string root, Func<string, bool> include, ICollection<string>? excluded = null)
    {
        var left = new List<string>();
        var found = new List<Entry>();
        var visited = new HashSet<(ulong, ulong)>();
        var pending = new Stack<string>();
        pending.Push(root);
        FileStatus rootStatus = FileStatus.Of(root);
        if (rootStatus.HasIdentity)
        {
            visited.Add((rootStatus.Device, rootStatus.Inode));
        }

        while (pending.TryPop(out string? folder))
        {
            IEnumerable<FileSystemInfo> children;
            try
            {
                children = new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                found.Add(new Entry(folder, Relative(root, folder), $"folder '{folder}' cannot be listed: {ex.Message}"));
                continue;
            }

            foreach (FileSystemInfo child in children)
            {
                bool isLink = child.LinkTarget is not null;
                FileStatus status = isLink || child is DirectoryInfo ? FileStatus.Of(child.FullName) : default;
                if (status.Kind == FileKind.Directory)
                {
                    if (status.HasIdentity ? visited.Add((status.Device, status.Inode)) : !isLink)
                    {
                        pending.Push(child.FullName);
                    }
                }
                else if (include(child.Name))
                {
                    found.Add(new Entry(child.FullName, Relative(root, child.FullName), null));
                }
                else
                {
                    left.Add(child.FullName);
                }
            }
        }

        if (excluded is not null)
        {
            left.Sort(StringComparer.Ordinal);
            left.ForEach(excluded.Add);
        }

        found.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return found;
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
