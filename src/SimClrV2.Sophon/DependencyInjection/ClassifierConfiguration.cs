using System.Globalization;
using Microsoft.Extensions.Configuration;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.DependencyInjection;

/// <summary>
/// Binds classifier options from configuration (appsettings.json, environment variables, command
/// line) without reflection, so it is trimming/AOT-safe. Strict like the model manifest: an
/// unknown key (a misspelt option) is an error naming it and the known ones, and a value that does
/// not parse names its key. Only the keys present change the options; a partial <c>Preprocessing</c>
/// section sets only its fields, which are then layered over the model's manifest
/// (<see cref="PreprocessingOptions.LayeredOver"/>).
/// </summary>
public static class ClassifierConfiguration
{
    private static readonly string[] CommonKeys = ["Preprocessing", "Labels", "OutputKind", "TopK", "Decode", "PrefetchBatches", "DecodeThreads"];
    private static readonly string[] ModelKeys = ["ModelPath", "Layout", "ManifestPath"];
    private static readonly string[] SophonKeys = ["DeviceId", "DeviceIds", "NetworkName", "Library", "Preprocess", "BmcvFallbackToCpu"];
    private static readonly string[] PreprocessingKeys = ["Width", "Height", "ChannelOrder", "Scale", "Mean", "Std", "Resize", "CropFraction", "PadValue", "Interpolation"];
    private static readonly string[] DecodeKeys = ["MaxPixels", "MaxEncodedBytes", "ReducedJpegDecode", "ReducedJpegOversample", "ApplyExifOrientation"];
    private static readonly string[] LibraryKeys = ["SearchDirectory", "UseResolver", "StageLayout"];

    /// <summary>
    /// Sets the options the section holds: those of every classifier, of model-file classifiers and
    /// of the SOPHON classifier (by the options' type); an engine package binds its own keys and
    /// names them in <paramref name="engineKeys"/>.
    /// </summary>
    /// <param name="configuration">The section (e.g. <c>Classifier</c>).</param>
    /// <param name="options">The options to change.</param>
    /// <param name="engineKeys">Keys the caller binds itself (so they are not unknown).</param>
    /// <exception cref="InvalidOperationException">A key is unknown or a value does not parse; the message names it.</exception>
    public static void Bind(IConfiguration configuration, ClassifierOptions options, params string[] engineKeys)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engineKeys);
        string[] known = [.. CommonKeys, .. options is ModelFileClassifierOptions ? ModelKeys : [], .. options is SophonClassifierOptions ? SophonKeys : [], .. engineKeys];
        CheckKeys(configuration, known);
        BindCommon(configuration, options);
        if (options is ModelFileClassifierOptions model)
        {
            model.ModelPath = GetString(configuration, "ModelPath") ?? model.ModelPath;
            model.ManifestPath = GetString(configuration, "ManifestPath") ?? model.ManifestPath;
            model.Layout = GetEnum<TensorLayout>(configuration, "Layout") ?? model.Layout;
        }

        if (options is SophonClassifierOptions sophon)
        {
            sophon.DeviceId = Get<int>(configuration, "DeviceId") ?? sophon.DeviceId;
            sophon.DeviceIds = GetList<int>(configuration, "DeviceIds") ?? sophon.DeviceIds;
            sophon.NetworkName = GetString(configuration, "NetworkName") ?? sophon.NetworkName;
            sophon.Preprocess = GetEnum<PreprocessBackend>(configuration, "Preprocess") ?? sophon.Preprocess;
            sophon.BmcvFallbackToCpu = Get<bool>(configuration, "BmcvFallbackToCpu") ?? sophon.BmcvFallbackToCpu;
            IConfigurationSection library = configuration.GetSection("Library");
            if (library.Exists())
            {
                CheckKeys(library, LibraryKeys);
                SophonLibraryOptions current = sophon.Library ?? new SophonLibraryOptions();
                sophon.Library = new SophonLibraryOptions
                {
                    SearchDirectory = GetString(library, "SearchDirectory") ?? current.SearchDirectory,
                    UseResolver = Get<bool>(library, "UseResolver") ?? current.UseResolver,
                    StageLayout = GetEnum<SophonStageLayout>(library, "StageLayout") ?? current.StageLayout,
                };
            }
        }
    }

    /// <summary>A string value, or null when the key is absent.</summary>
    /// <param name="configuration">The section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value or null.</returns>
    public static string? GetString(IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration[key];
    }

    /// <summary>A number or boolean (invariant culture), or null when the key is absent.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="configuration">The section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value or null.</returns>
    /// <exception cref="InvalidOperationException">The value does not parse; the message names the key.</exception>
    public static T? Get<T>(IConfiguration configuration, string key)
        where T : struct, IParsable<T>
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? text = configuration[key];
        return text is null ? null : Parse<T>(configuration, key, text);
    }

    /// <summary>An enum value by name (case-insensitive), or null when the key is absent.</summary>
    /// <typeparam name="T">The enum.</typeparam>
    /// <param name="configuration">The section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value or null.</returns>
    /// <exception cref="InvalidOperationException">The value is not one of the enum's names.</exception>
    public static T? GetEnum<T>(IConfiguration configuration, string key)
        where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? text = configuration[key];
        if (text is null)
        {
            return null;
        }

        return Enum.TryParse(text, ignoreCase: true, out T value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text.TrimStart('-')[0])
            ? value
            : throw new InvalidOperationException($"{PathOf(configuration, key)} is '{text}'; use one of: {string.Join(", ", Enum.GetNames<T>())}.");
    }

    /// <summary>A list (a JSON array, or keys 0, 1, 2, ...), or null when the key is absent.</summary>
    /// <typeparam name="T">The items' type.</typeparam>
    /// <param name="configuration">The section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The items in index order, or null.</returns>
    /// <exception cref="InvalidOperationException">An item does not parse, or the keys are not 0, 1, 2, ...</exception>
    public static IReadOnlyList<T>? GetList<T>(IConfiguration configuration, string key)
        where T : IParsable<T>
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection section = configuration.GetSection(key);
        if (!section.Exists())
        {
            return null;
        }

        var items = section.GetChildren().Select(c => (Index: int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : -1, c)).OrderBy(x => x.Index).ToList();
        if (items.Count == 0 || items.Select(x => x.Index).Where((index, position) => index != position).Any())
        {
            throw new InvalidOperationException($"{PathOf(configuration, key)} must be a list (a JSON array, or the keys 0, 1, 2, ...).");
        }

        return [.. items.Select(x => x.c.Value is { } text ? Parse<T>(section, x.c.Key, text) : throw new InvalidOperationException($"{x.c.Path} is empty."))];
    }

    private static void BindCommon(IConfiguration configuration, ClassifierOptions options)
    {
        options.Labels = GetList<string>(configuration, "Labels") ?? options.Labels;
        options.OutputKind = GetEnum<OutputKind>(configuration, "OutputKind") ?? options.OutputKind;
        options.TopK = Get<int>(configuration, "TopK") ?? options.TopK;
        options.PrefetchBatches = Get<int>(configuration, "PrefetchBatches") ?? options.PrefetchBatches;
        options.DecodeThreads = Get<int>(configuration, "DecodeThreads") ?? options.DecodeThreads;
        IConfigurationSection preprocessing = configuration.GetSection("Preprocessing");
        if (preprocessing.Exists())
        {
            CheckKeys(preprocessing, PreprocessingKeys);
            options.Preprocessing = BindPreprocessing(preprocessing, options.Preprocessing ?? new PreprocessingOptions());
        }

        IConfigurationSection decode = configuration.GetSection("Decode");
        if (decode.Exists())
        {
            CheckKeys(decode, DecodeKeys);
            DecodeOptions d = options.Decode ?? DecodeOptions.Default;
            options.Decode = d with
            {
                MaxPixels = Get<long>(decode, "MaxPixels") ?? d.MaxPixels,
                MaxEncodedBytes = Get<long>(decode, "MaxEncodedBytes") ?? d.MaxEncodedBytes,
                ReducedJpegDecode = Get<bool>(decode, "ReducedJpegDecode") ?? d.ReducedJpegDecode,
                ReducedJpegOversample = Get<int>(decode, "ReducedJpegOversample") ?? d.ReducedJpegOversample,
                ApplyExifOrientation = Get<bool>(decode, "ApplyExifOrientation") ?? d.ApplyExifOrientation,
            };
        }
    }

    /// <summary>Only the fields present are set (each marked given), so the rest come from the manifest.</summary>
    private static PreprocessingOptions BindPreprocessing(IConfiguration section, PreprocessingOptions p)
    {
        p = Get<int>(section, "Width") is { } width ? p with { Width = width } : p;
        p = Get<int>(section, "Height") is { } height ? p with { Height = height } : p;
        p = GetEnum<ChannelOrder>(section, "ChannelOrder") is { } order ? p with { ChannelOrder = order } : p;
        p = Get<float>(section, "Scale") is { } scale ? p with { Scale = scale } : p;
        p = GetList<float>(section, "Mean") is { } mean ? p with { Mean = mean } : p;
        p = GetList<float>(section, "Std") is { } std ? p with { Std = std } : p;
        p = GetEnum<ResizeMode>(section, "Resize") is { } resize ? p with { Resize = resize } : p;
        p = Get<float>(section, "CropFraction") is { } crop ? p with { CropFraction = crop } : p;
        p = GetList<byte>(section, "PadValue") is { } pad ? p with { PadValue = pad } : p;
        return GetEnum<ResizeInterpolation>(section, "Interpolation") is { } interpolation ? p with { Interpolation = interpolation } : p;
    }

    private static T Parse<T>(IConfiguration configuration, string key, string text)
        where T : IParsable<T> =>
        T.TryParse(text, CultureInfo.InvariantCulture, out T? value)
            ? value
            : throw new InvalidOperationException($"{PathOf(configuration, key)} is '{text}', which is not a valid {typeof(T).Name}.");

    /// <summary>Every unknown key at once (not the first alone), so one fix-and-retry fixes them all.</summary>
    private static void CheckKeys(IConfiguration configuration, string[] known)
    {
        string[] unknown = [.. configuration.GetChildren().Where(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase)).Select(c => c.Path)];
        if (unknown.Length > 0)
        {
            throw new InvalidOperationException(unknown.Length == 1
                ? $"{unknown[0]} is not an option here; the options are: {string.Join(", ", known)}."
                : $"{string.Join(", ", unknown)} are not options here; the options are: {string.Join(", ", known)}.");
        }
    }

    /// <summary>How messages name a configuration: its section path (<c>Classifier</c>), or <c>configuration</c> for the root.</summary>
    /// <param name="configuration">The configuration or section.</param>
    /// <returns>The name.</returns>
    public static string NameOf(IConfiguration configuration) =>
        configuration is IConfigurationSection { Path.Length: > 0 } section ? section.Path : "configuration";

    private static string PathOf(IConfiguration configuration, string key) =>
        configuration is IConfigurationSection { Path.Length: > 0 } section ? $"{section.Path}:{key}" : key;
}
