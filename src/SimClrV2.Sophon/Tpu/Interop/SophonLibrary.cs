using System.Reflection;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>Where and how the binding finds libsophon (libbmlib, libbmrt).</summary>
public sealed class SophonLibraryOptions
{
    /// <summary>A folder searched first (e.g. the emulator's build folder, or an SDK's lib folder).</summary>
    public string? SearchDirectory { get; set; }

    /// <summary>
    /// False leaves loading to the host: no resolver is installed and the runtime's own probing
    /// (or the host's resolver) finds <c>bmlib</c> and <c>bmrt</c>.
    /// </summary>
    public bool UseResolver { get; set; } = true;

    /// <summary>
    /// The <c>bm_stage_info_t</c> layout of the loaded libbmrt. <see cref="SophonStageLayout.Auto"/>
    /// (default) tells it by the runtime's exports; when that is impossible, networks with more than
    /// one stage are refused with an exception that names this option.
    /// </summary>
    public SophonStageLayout StageLayout { get; set; } = SophonStageLayout.Auto;
}

/// <summary>Which <c>bm_stage_info_t</c> layout libbmrt has (a version hazard of libsophon).</summary>
public enum SophonStageLayout
{
    /// <summary>Tell it by the loaded runtime's exports (<c>bmrt_create_ex</c> exists only with the 32-byte layout).</summary>
    Auto,

    /// <summary>libsophon 0.5.0 and earlier: 16 bytes (input_shapes, output_shapes).</summary>
    Legacy,

    /// <summary>libsophon 0.5.1 and later, the 1.x line: 32 bytes (adds input_mems, output_mems).</summary>
    Extended,
}

/// <summary>
/// Loads libsophon by its versioned sonames, searching in order: <see cref="SophonLibraryOptions.SearchDirectory"/>,
/// the folder in the environment variable <see cref="DirectoryVariable"/>, <see cref="DefaultDirectory"/>,
/// then the system loader; in each folder the versioned name first, then the unversioned one.
/// Nothing happens in a static constructor: the first use loads, and a failure throws
/// <see cref="SophonLibraryNotFoundException"/> listing every path tried and why it failed.
/// </summary>
public static class SophonLibrary
{
    /// <summary>The environment variable naming a folder to search for the libraries.</summary>
    public const string DirectoryVariable = "SIMCLRV2_SOPHON_LIB_DIR";

    /// <summary>Where libsophon installs on PCIe hosts and SoC boards.</summary>
    public const string DefaultDirectory = "/opt/sophon/libsophon-current/lib";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, IntPtr> Loaded = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> LoadedPaths = new(StringComparer.Ordinal);
    private static SophonLibraryOptions _options = new();
    private static bool _resolverInstalled;

    /// <summary>Sets the search options. Call before the first SOPHON call; later calls only affect libraries not loaded yet.</summary>
    /// <param name="options">The options.</param>
    public static void Configure(SophonLibraryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            _options = options;
        }
    }

    /// <summary>
    /// The stage layout of the loaded libbmrt: the configured one, else told by its export of
    /// <c>bmrt_create_ex</c>; <see cref="SophonStageLayout.Auto"/> when it cannot be told (the host
    /// loaded the library in a way this binding cannot find).
    /// </summary>
    internal static SophonStageLayout StageLayout
    {
        get
        {
            lock (Gate)
            {
                if (_options.StageLayout != SophonStageLayout.Auto)
                {
                    return _options.StageLayout;
                }

                IntPtr bmrt = LoadedOrSystem(SophonNative.BmRt, ["libbmrt.so.1.0", "libbmrt.so"]);
                return bmrt == IntPtr.Zero ? SophonStageLayout.Auto
                    : NativeLibrary.TryGetExport(bmrt, "bmrt_create_ex", out _) ? SophonStageLayout.Extended : SophonStageLayout.Legacy;
            }
        }
    }

    /// <summary>Loads libbmlib only (the device count needs nothing else), or throws saying what was looked for and where.</summary>
    /// <exception cref="SophonLibraryNotFoundException">It could not be loaded.</exception>
    internal static void EnsureBmlibLoaded()
    {
        lock (Gate)
        {
            if (InstallResolver())
            {
                Load(SophonNative.BmLib, ["libbmlib.so.0", "libbmlib.so"]);
            }
        }
    }

    /// <summary>Loads libbmlib and libbmrt, or throws saying what was looked for and where.</summary>
    /// <exception cref="SophonLibraryNotFoundException">A library could not be loaded.</exception>
    internal static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (InstallResolver())
            {
                Load(SophonNative.BmLib, ["libbmlib.so.0", "libbmlib.so"]);
                Load(SophonNative.BmRt, ["libbmrt.so.1.0", "libbmrt.so"]);
            }
        }
    }

    /// <summary>
    /// Loads libbmcv too (only BMCV preprocessing needs it) and checks it is the BM1684X line
    /// (bmcv 1.x, <c>bm_image_destroy(bm_image)</c> by value): the newer line (<c>bm_get_bmcv_version()</c>
    /// major 2 and later, for the BM1688/CV186X) takes <c>bm_image_destroy(bm_image*)</c>, and calling
    /// the by-value form there corrupts memory, so it is refused before any image exists.
    /// </summary>
    /// <exception cref="SophonLibraryNotFoundException">It could not be loaded.</exception>
    /// <exception cref="SophonException">It is another bmcv line, or it cannot be told which.</exception>
    internal static void EnsureBmcvLoaded()
    {
        EnsureLoaded();
        lock (Gate)
        {
            if (_options.UseResolver)
            {
                Load(SophonNative.BmCv, ["libbmcv.so.0", "libbmcv.so"]);
            }

            IntPtr bmcv = LoadedOrSystem(SophonNative.BmCv, ["libbmcv.so.0", "libbmcv.so"]);
            if (bmcv == IntPtr.Zero)
            {
                throw new SophonException("libbmcv was loaded by the host in a way this binding cannot inspect, so its line (which bm_image_destroy it has) cannot be checked; let SophonLibrary load it (SophonLibraryOptions.UseResolver = true) or put libbmcv.so.0 on the loader path.");
            }

            string version = BmcvVersion(bmcv);
            if (!IsBm1684xBmcvLine(version))
            {
                throw new SophonException($"libbmcv reports version {version}: that is the newer bmcv line (BM1688/CV186X), whose bm_image_destroy takes bm_image*; this binding targets the BM1684X line (libsophon 0.4.x/0.5.x, bmcv 1.x). Use the libsophon built for the BM1684X, or CPU preprocessing (PreprocessBackend.Cpu).");
            }
        }
    }

    /// <summary>Whether a <c>bm_get_bmcv_version()</c> string is the BM1684X line (major version below 2; no version: the older releases, which lack the export).</summary>
    internal static bool IsBm1684xBmcvLine(string version)
    {
        ReadOnlySpan<char> major = version.AsSpan().TrimStart('v');
        int end = 0;
        while (end < major.Length && char.IsAsciiDigit(major[end]))
        {
            end++;
        }

        return version == "none" || (end > 0 && int.TryParse(major[..end], NumberStyles.None, CultureInfo.InvariantCulture, out int m) && m < 2);
    }

    /// <summary>What the loaded libbmcv's <c>bm_get_bmcv_version()</c> reports ("none" without the export); call after <see cref="EnsureBmcvLoaded"/>.</summary>
    internal static string LoadedBmcvVersion()
    {
        lock (Gate)
        {
            IntPtr bmcv = LoadedOrSystem(SophonNative.BmCv, ["libbmcv.so.0", "libbmcv.so"]);
            return bmcv == IntPtr.Zero ? "unknown" : BmcvVersion(bmcv);
        }
    }

    /// <summary>The paths the binding loaded each library from (library name to path).</summary>
    internal static IReadOnlyDictionary<string, string> LoadedLibraryPaths()
    {
        lock (Gate)
        {
            return new Dictionary<string, string>(LoadedPaths);
        }
    }

    private static unsafe string BmcvVersion(IntPtr bmcv)
    {
        if (!NativeLibrary.TryGetExport(bmcv, "bm_get_bmcv_version", out IntPtr export))
        {
            return "none";
        }

        IntPtr text = ((delegate* unmanaged<IntPtr>)export)();
        return text == IntPtr.Zero ? "unknown" : Marshal.PtrToStringUTF8(text) ?? "unknown";
    }

    /// <summary>The library this binding loaded, else the one the system loader has (or finds) by soname; zero when neither.</summary>
    private static IntPtr LoadedOrSystem(string key, string[] fileNames)
    {
        IntPtr loaded = Loaded.GetValueOrDefault(key);
        if (loaded != IntPtr.Zero)
        {
            return loaded;
        }

        foreach (string name in fileNames)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }

    /// <summary>Installs the resolver once; false when the host does the loading.</summary>
    private static bool InstallResolver()
    {
        if (!_options.UseResolver)
        {
            return false;
        }

        if (!_resolverInstalled)
        {
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(SophonLibrary).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The host installed its own resolver for this assembly; it decides.
            }

            _resolverInstalled = true;
        }

        return true;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
        {
            return Loaded.TryGetValue(name, out IntPtr handle) ? handle : IntPtr.Zero;
        }
    }

    private static void Load(string key, string[] fileNames)
    {
        if (!Loaded.ContainsKey(key))
        {
            Loaded[key] = Find(fileNames, _options, out string path);
            LoadedPaths[key] = path;
        }
    }

    /// <summary>Where each library this binding loaded came from (e.g. <c>bmrt: /opt/sophon/libsophon-current/lib/libbmrt.so.1.0</c>), or why none is listed.</summary>
    internal static string DescribeLoaded()
    {
        lock (Gate)
        {
            return LoadedPaths.Count == 0
                ? _options.UseResolver ? "nothing loaded yet" : "by the host (SophonLibraryOptions.UseResolver is false)"
                : string.Join(", ", LoadedPaths.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));
        }
    }

    /// <summary>Searches for one library (no caching); throws listing every path tried.</summary>
    internal static IntPtr Find(string[] fileNames, SophonLibraryOptions options) => Find(fileNames, options, out _);

    /// <summary>Searches for one library (no caching), telling the path it was loaded from; throws listing every path tried.</summary>
    internal static IntPtr Find(string[] fileNames, SophonLibraryOptions options, out string loadedFrom)
    {
        var tried = new List<string>();
        foreach (string? folder in Folders(options))
        {
            foreach (string file in fileNames)
            {
                string candidate = folder is null ? file : Path.Combine(folder, file);
                if (folder is not null && !File.Exists(candidate))
                {
                    tried.Add($"{candidate}: no such file");
                    continue;
                }

                try
                {
                    IntPtr handle = NativeLibrary.Load(candidate);
                    loadedFrom = candidate;
                    return handle;
                }
                catch (DllNotFoundException ex)
                {
                    tried.Add($"{candidate}: {LoaderError(ex.Message, folder is null ? null : candidate)}");
                }
                catch (BadImageFormatException ex)
                {
                    tried.Add($"{candidate}: {ex.Message}");
                }
            }
        }

        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"libsophon's {fileNames[0]} could not be loaded. Tried:");
        foreach (string t in tried)
        {
            message.Append("\n  ").Append(t);
        }

        message.Append(CultureInfo.InvariantCulture, $"\nInstall libsophon (it provides {DefaultDirectory}), set {DirectoryVariable} to the folder holding the libraries, or set SophonLibraryOptions.SearchDirectory; the libraries' own dependencies are found by the system loader (LD_LIBRARY_PATH, ldconfig). Without a SOPHON TPU, use the ONNX Runtime classifier (SimClrV2.Sophon.OnnxRuntime) or the project's emulator.");
        throw new SophonLibraryNotFoundException(message.ToString(), tried);
    }

    /// <summary>
    /// The OS loader's own words (dlerror, the last line of .NET's message); when the file exists but
    /// a library IT needs is missing (libbmrt needs <c>libbmlib.so</c>), says so and how to fix the loader path.
    /// </summary>
    internal static string LoaderError(string message, string? existingFile)
    {
        string error = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? message;
        const string Missing = ": cannot open shared object file";
        int at = error.IndexOf(Missing, StringComparison.Ordinal);
        if (existingFile is null || at <= 0)
        {
            return error;
        }

        string needed = error[..at].Trim();
        int colon = needed.LastIndexOf(": ", StringComparison.Ordinal);
        needed = colon >= 0 ? needed[(colon + 2)..] : needed;
        if (string.Equals(needed, existingFile, StringComparison.Ordinal) || string.Equals(needed, Path.GetFileName(existingFile), StringComparison.Ordinal))
        {
            return error;
        }

        string folder = Path.GetDirectoryName(existingFile) ?? ".";
        return $"{error} (the file exists, but a library it needs, {needed}, is not on the loader path: add its folder to LD_LIBRARY_PATH, e.g. LD_LIBRARY_PATH={folder}, or register it with ldconfig; setting {DirectoryVariable} alone does not reach the loader)";
    }

    private static IEnumerable<string?> Folders(SophonLibraryOptions options)
    {
        if (!string.IsNullOrEmpty(options.SearchDirectory))
        {
            yield return options.SearchDirectory;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            yield return fromEnvironment;
        }

        yield return DefaultDirectory;
        yield return null; // the system loader's own search
    }
}
