using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Decode.Files;

/// <summary>
/// The kind and identity of a path, links followed, read without opening it (so a FIFO or a device
/// is recognised before anything blocks on it). On Linux this is <c>statx(2)</c>, whose structure
/// is the same on every architecture; elsewhere the managed file API (no FIFO detection, and no
/// identity: folder links are then not followed).
/// </summary>
/// <param name="Kind">What the path names.</param>
/// <param name="Device">The file system's device number (with <paramref name="Inode"/>, the file's identity), or 0 when unknown.</param>
/// <param name="Inode">The inode number, or 0 when unknown.</param>
/// <param name="Length">The size in bytes of a regular file.</param>
internal readonly partial record struct FileStatus(FileKind Kind, ulong Device, ulong Inode, long Length)
{
    /// <summary>True when <see cref="Device"/> and <see cref="Inode"/> identify the file.</summary>
    public bool HasIdentity => Inode != 0;

    /// <summary>Reads the status of a path, following links.</summary>
    /// <param name="path">A path.</param>
    /// <returns>The status; <see cref="FileKind.Missing"/> when nothing is there.</returns>
    public static FileStatus Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsLinux() && Statx.TryRead(path, out FileStatus status))
        {
            return status;
        }

        if (Directory.Exists(path))
        {
            return new FileStatus(FileKind.Directory, 0, 0, 0);
        }

        var file = new FileInfo(path);
        return file.Exists ? new FileStatus(FileKind.Regular, 0, 0, file.Length) : new FileStatus(FileKind.Missing, 0, 0, 0);
    }

    /// <summary>
    /// Whether this process may open the file for writing (<c>access(2)</c> with <c>W_OK</c> on Linux:
    /// permissions, read-only mounts and root alike), without opening it.
    /// </summary>
    /// <param name="path">An existing file.</param>
    /// <returns>True when a read-write open would be allowed.</returns>
    public static bool IsWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsLinux())
        {
            return Statx.access(path, 2) == 0;
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    /// <summary>Words for an error message, e.g. "a named pipe (FIFO)".</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The description.</returns>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };

    private static partial class Statx
    {
        private const int AtFdCwd = -100;
        private const uint StatxBasicStats = 0x7ff;
        private const int ENOENT = 2;
        private const int ENOTDIR = 20;
        private const int ELOOP = 40;
        private const int ENAMETOOLONG = 36;
        private static bool s_unavailable;

        public static unsafe bool TryRead(string path, out FileStatus status)
        {
            status = default;
            if (Volatile.Read(ref s_unavailable))
            {
                return false;
            }

            // struct statx is 256 bytes on every Linux architecture; offsets from <linux/stat.h>.
            byte* buffer = stackalloc byte[256];
            int result;
            try
            {
                result = statx(AtFdCwd, path, 0, StatxBasicStats, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                Volatile.Write(ref s_unavailable, true); // a C library older than glibc 2.28
                return false;
            }

            if (result != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR or ELOOP or ENAMETOOLONG)
                {
                    status = new FileStatus(FileKind.Missing, 0, 0, 0);
                    return true;
                }

                return false; // e.g. EACCES: let the managed API produce its usual exception
            }

            ushort mode = *(ushort*)(buffer + 28);
            ulong inode = *(ulong*)(buffer + 32);
            long size = *(long*)(buffer + 40);
            ulong device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
            FileKind kind = (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                _ => FileKind.Other,
            };
            status = new FileStatus(kind, device, inode, kind == FileKind.Regular ? size : 0);
            return true;
        }

        [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int access(string path, int mode);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
    }
}
