using System.Reflection;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>Where and how the binding finds libsophon (libbmlib, libbmrt).</summary>
public sealed class SophonLibraryOptions
{
    /// <summary>A folder searched first (e.g. the emulator's build folder, or an SDK's lib folder).</summary>
    public string? SearchDirectory { get; init; }

    /// <summary>
    /// False leaves loading to the host: no resolver is installed and the runtime's own probing
    /// (or the host's resolver) finds <c>bmlib</c> and <c>bmrt</c>.
    /// </summary>
    public bool UseResolver { get; init; } = true;
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

    /// <summary>Whether libbmrt has the 32-byte stage layout (libsophon 0.5.1 and later), told by its export of <c>bmrt_create_ex</c>.</summary>
    internal static bool HasExtendedStageLayout
    {
        get
        {
            lock (Gate)
            {
                IntPtr bmrt = Loaded.GetValueOrDefault(SophonNative.BmRt);
                if (bmrt == IntPtr.Zero && !NativeLibrary.TryLoad("libbmrt.so.1.0", out bmrt) && !NativeLibrary.TryLoad("libbmrt.so", out bmrt))
                {
                    return true; // the host loaded it some other way; current libsophon has the extended layout
                }

                return NativeLibrary.TryGetExport(bmrt, "bmrt_create_ex", out _);
            }
        }
    }

    /// <summary>Loads libbmlib and libbmrt, or throws saying what was looked for and where.</summary>
    /// <exception cref="SophonLibraryNotFoundException">A library could not be loaded.</exception>
    internal static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (!_options.UseResolver)
            {
                return;
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

            Load(SophonNative.BmLib, ["libbmlib.so.0", "libbmlib.so"]);
            Load(SophonNative.BmRt, ["libbmrt.so.1.0", "libbmrt.so"]);
        }
    }

    /// <summary>Loads libbmcv too (only BMCV preprocessing needs it).</summary>
    /// <exception cref="SophonLibraryNotFoundException">It could not be loaded.</exception>
    internal static void EnsureBmcvLoaded()
    {
        EnsureLoaded();
        lock (Gate)
        {
            if (_options.UseResolver)
            {
                Load(SophonNative.BmCv, ["libbmcv.so.0", "libbmcv.so"]);
            }
        }
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
            Loaded[key] = Find(fileNames, _options);
        }
    }

    /// <summary>Searches for one library (no caching); throws listing every path tried.</summary>
    internal static IntPtr Find(string[] fileNames, SophonLibraryOptions options)
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
                    return NativeLibrary.Load(candidate);
                }
                catch (DllNotFoundException ex)
                {
                    tried.Add($"{candidate}: {LoaderError(ex.Message)}");
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

        message.Append(CultureInfo.InvariantCulture, $"\nInstall libsophon (it provides {DefaultDirectory}), set {DirectoryVariable} to the folder holding the libraries, or set SophonLibraryOptions.SearchDirectory. Without a SOPHON TPU, use the ONNX Runtime classifier (SimClrV2.Sophon.OnnxRuntime) or the project's emulator.");
        throw new SophonLibraryNotFoundException(message.ToString(), tried);
    }

    /// <summary>The OS loader's own words (dlerror), the last line of .NET's message.</summary>
    private static string LoaderError(string message) =>
        message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? message;

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
