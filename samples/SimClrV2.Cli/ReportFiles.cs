using System.Text;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>
/// The tool's reports written by the library's one output rule (<see cref="OutputFile"/>): never
/// over a folder, a device node, a FIFO or a socket, never over a file the run reads, whole or not at all.
/// </summary>
internal static class ReportFiles
{
    /// <summary>Writes UTF-8 text (no byte-order mark) to <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="option">The option that named it, for messages.</param>
    /// <param name="readFiles">Files the run reads, which the output must not be.</param>
    /// <param name="text">The content.</param>
    public static void WriteText(string path, string option, IEnumerable<string?> readFiles, string text) =>
        OutputFile.Write(path, option, readFiles, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Throws unless <paramref name="folder"/> is a folder or does not exist yet (it is created on the first write).</summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="option">The option that named it.</param>
    public static void RequireFolder(string folder, string option)
    {
        if (Directory.Exists(folder) || !File.Exists(folder))
        {
            return;
        }

        OutputFile.Require(folder, option, []); // a device node, FIFO or socket: named by the output rule
        throw new ArgumentException($"{option} '{folder}' is a regular file, not a folder; it is left as it is. Name a new or existing folder.", option);
    }
}
