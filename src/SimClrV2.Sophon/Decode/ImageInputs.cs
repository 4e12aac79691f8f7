using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Decode.Files;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Decode;

/// <summary>What kind of input a path names.</summary>
public enum InputKind
{
    /// <summary>One image file.</summary>
    ImageFile,

    /// <summary>A folder of images, read recursively.</summary>
    Folder,

    /// <summary>A CIFAR-10 "python version" pickle (<c>test_batch</c>).</summary>
    CifarPickle,

    /// <summary>A CIFAR-10 "binary version" file (<c>test_batch.bin</c>).</summary>
    CifarBinary,
}

/// <summary>Turns paths into classifier inputs: image files, folders, CIFAR-10 pickle and binary files.</summary>
public static class ImageInputs
{
    /// <summary>
    /// File extensions read from folders (case-insensitive): every extension of every format the
    /// library's decoders read (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM/PGM/PPM), as those formats name them.
    /// </summary>
    public static IReadOnlyList<string> ImageExtensions => ImageDecoding.FileExtensions;

    /// <summary>
    /// Decides what a path names: a folder, a CIFAR binary file (<c>.bin</c>), an image (by its
    /// extension), else a CIFAR pickle when its first bytes say so, else an image. Nothing but a
    /// folder or a regular file is accepted (a FIFO or a device would block or never end).
    /// </summary>
    /// <param name="path">A file or folder path.</param>
    /// <returns>The kind.</returns>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="InvalidDataException">The path is a FIFO, a device or a socket.</exception>
    public static InputKind Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStatus status = FileStatus.Of(path);
        if (status.Kind == FileKind.Directory)
        {
            return InputKind.Folder;
        }

        InputFile.Require(status, path, "input", "pass an image file, a folder of images, a CIFAR-10 'test_batch' pickle or a 'test_batch.bin' file.");
        string extension = Path.GetExtension(path);
        if (string.Equals(extension, ".bin", StringComparison.OrdinalIgnoreCase))
        {
            return InputKind.CifarBinary;
        }

        // A file named as an image is an image, whatever its first bytes; only other names are sniffed.
        if (ImageExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            return InputKind.ImageFile;
        }

        return CifarDataset.LooksLikePickle(path) ? InputKind.CifarPickle : InputKind.ImageFile;
    }

    /// <summary>
    /// The inputs a path names (see <see cref="Detect"/>): CIFAR files are read now, images are decoded
    /// when classified; and for a folder the files it holds that are not images of a type the decoders
    /// read: nothing is dropped without a word.
    /// </summary>
    /// <param name="path">A file or folder path.</param>
    /// <param name="labels">Class names; a folder image's label is its parent folder's name when it is one of them.</param>
    /// <param name="skipped">Receives the full path of each file a folder holds that is not taken (not an image extension of <see cref="ImageExtensions"/>); null to ignore them.</param>
    /// <returns>The inputs in a stable order.</returns>
    public static IReadOnlyList<ImageInput> FromPath(string path, IReadOnlyList<string>? labels = null, ICollection<string>? skipped = null) => Detect(path) switch
    {
        InputKind.Folder => FromFolder(path, labels, skipped),
        InputKind.CifarPickle => CifarDataset.ReadPickle(path).ToInputs(),
        InputKind.CifarBinary => CifarDataset.ReadBinary(path).ToInputs(),
        _ => [ImageInput.FromFile(path)],
    };

    /// <summary>
    /// The inputs many paths name, in path order, never throwing for a bad path: a path that does
    /// not exist or cannot be read becomes one error entry (<see cref="Prediction.ErrorKind"/>
    /// <see cref="PredictionErrorKind.NotFound"/>, <see cref="PredictionErrorKind.Unreadable"/>, ...)
    /// in its place, exactly as an unreadable file inside a folder does, and the others are kept.
    /// </summary>
    /// <param name="paths">Image files, folders, CIFAR-10 files.</param>
    /// <param name="labels">Class names, for folder labels.</param>
    /// <returns>The inputs, read lazily path by path.</returns>
    public static IEnumerable<ImageInput> FromPaths(IEnumerable<string> paths, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Read(paths, labels);

        static IEnumerable<ImageInput> Read(IEnumerable<string> paths, IReadOnlyList<string>? labels)
        {
            foreach (string path in paths)
            {
                IReadOnlyList<ImageInput> inputs;
                try
                {
                    inputs = string.IsNullOrEmpty(path) ? [ImageInput.FromError("(empty path)", "an empty path was given; pass a file or folder path.", PredictionErrorKind.InvalidInput)] : FromPath(path, labels);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    inputs = [ImageInput.FromError(NameOf(path), ex)];
                }

                foreach (ImageInput input in inputs)
                {
                    yield return input;
                }
            }
        }
    }

    /// <summary>
    /// The image files under a folder, recursively, in ordinal order of their relative paths. Each
    /// input's name is its path relative to the folder with '/' separators (a flat folder's names are
    /// its file names), so <c>cat/001.jpg</c> and <c>horse/001.jpg</c> stay apart; its label is the
    /// parent folder's name when that is a class name. Links are followed, but each real folder is
    /// read once (a link cycle ends); a sub-folder that cannot be listed becomes one error entry.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="labels">Class names (case-insensitive match).</param>
    /// <returns>The inputs.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<ImageInput> FromFolder(string folder, IReadOnlyList<string>? labels = null) => FromFolder(folder, labels, null);

    /// <summary>The name an input read from <paramref name="path"/> as given gets: its file (or folder) name, for an existing path and a missing one alike.</summary>
    internal static string NameOf(string path) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) is { Length: > 0 } name ? name : path;

    private static List<ImageInput> FromFolder(string folder, IReadOnlyList<string>? labels, ICollection<string>? skipped)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Folder '{folder}' does not exist.");
        }

        var extensions = new HashSet<string>(ImageExtensions, StringComparer.OrdinalIgnoreCase);
        return FolderWalk.Files(folder, name => extensions.Contains(Path.GetExtension(name)), skipped)
            .Select(f => f.Error is null ? CreateFolderInput(f, labels) : ImageInput.FromError(f.RelativePath + "/", f.Error, PredictionErrorKind.Unreadable))
            .ToList();
    }

    private static FileImageInput CreateFolderInput(FolderWalk.Entry entry, IReadOnlyList<string>? labels)
    {
        string file = entry.FullPath;
        string? parent = Path.GetFileName(Path.GetDirectoryName(file));
        int index = -1;
        if (labels is not null && parent is not null)
        {
            for (int i = 0; i < labels.Count && index < 0; i++)
            {
                index = string.Equals(labels[i], parent, StringComparison.OrdinalIgnoreCase) ? i : -1;
            }
        }

        return index < 0
            ? new FileImageInput(file, entry.RelativePath)
            : new FileImageInput(file, entry.RelativePath) { LabelName = labels![index], LabelIndex = index };
    }
}
