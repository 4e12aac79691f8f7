using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace SimClrV2.Sophon.Models;

/// <summary>
/// A model held in memory with its manifest: from bytes, a stream, an embedded resource, or the
/// default model package (<see cref="Default"/>). Give it to a classifier's options
/// (<see cref="Pipeline.ModelFileClassifierOptions.Model"/>) instead of a file path.
/// </summary>
public sealed class ClassifierModel
{
    /// <summary>The default model's package, which <see cref="Default"/> loads when the application references it.</summary>
    internal const string DefaultPackageId = "SimClrV2.Sophon.Models.Cifar10";

    // The default model package's entry point, found by name so the core package does not depend on
    // the model's 3 MB; a trimmed application keeps it because the name is a constant.
    private const string DefaultTypeName = "SimClrV2.Sophon.Models.Cifar10.Cifar10Model, " + DefaultPackageId;

    private static readonly Lazy<ClassifierModel?> s_default = new(FindDefault);

    private ClassifierModel(string name, ReadOnlyMemory<byte> data, ModelManifest? manifest)
    {
        Name = name;
        Data = data;
        Manifest = manifest;
    }

    /// <summary>The model's name, used where a file name would be (result file names, messages), e.g. <c>simclrv2-r18w025-cifar10.onnx</c>.</summary>
    public string Name { get; }

    /// <summary>The model's bytes (an ONNX model or a bmodel).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The model's manifest (tensor names, preprocessing, labels), or null when it has none.</summary>
    public ModelManifest? Manifest { get; }

    /// <summary>
    /// The default model, CIFAR-10 SimCLRv2 (ResNet-18, width 0.25, 86.43 % on the test set) with its
    /// manifest, from the <c>SimClrV2.Sophon.Models.Cifar10</c> package. A classifier whose options
    /// name no model uses it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The application does not reference the package; the message says how to add it.</exception>
    public static ClassifierModel Default => s_default.Value ?? throw new InvalidOperationException(
        $"No model was given and the default model package is not referenced. Set ModelPath to an .onnx file (its <name>.manifest.json beside it) or Model to ClassifierModel.FromBytes/FromStream, or add the default model: dotnet add package {DefaultPackageId}");

    /// <summary>The default model when the application references its package (see <see cref="Default"/>).</summary>
    /// <param name="model">The model, or null.</param>
    /// <returns>True when the package is there.</returns>
    public static bool TryGetDefault([NotNullWhen(true)] out ClassifierModel? model)
    {
        model = s_default.Value;
        return model is not null;
    }

    /// <summary>A model from bytes (kept, not copied: do not change them while the model is in use).</summary>
    /// <param name="name">The model's name, as a file name (e.g. <c>mymodel.onnx</c>).</param>
    /// <param name="data">The model's bytes.</param>
    /// <param name="manifest">Its manifest (see <see cref="ModelManifest.Load(Stream, string)"/>), or null.</param>
    /// <returns>The model.</returns>
    public static ClassifierModel FromBytes(string name, ReadOnlyMemory<byte> data, ModelManifest? manifest = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (data.IsEmpty)
        {
            throw new ArgumentException($"Model '{name}' has no bytes.", nameof(data));
        }

        return new ClassifierModel(name, data, manifest);
    }

    /// <summary>A model read from a stream to its end (the stream is left open).</summary>
    /// <param name="name">The model's name, as a file name.</param>
    /// <param name="model">A readable stream of the model's bytes.</param>
    /// <param name="manifest">Its manifest, or null.</param>
    /// <returns>The model.</returns>
    public static ClassifierModel FromStream(string name, Stream model, ModelManifest? manifest = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.CanRead)
        {
            throw new ArgumentException($"The stream of model '{name}' is not readable.", nameof(model));
        }

        using var copy = new MemoryStream();
        model.CopyTo(copy);
        return FromBytes(name, copy.GetBuffer().AsMemory(0, (int)copy.Length), manifest);
    }

    /// <summary>
    /// A model from resources embedded in an assembly: the model and, when present, its manifest
    /// (<c>&lt;name without extension&gt;.manifest.json</c>), by manifest resource name.
    /// </summary>
    /// <param name="assembly">The assembly holding the resources.</param>
    /// <param name="name">The model's resource name, also its <see cref="Name"/> (e.g. <c>mymodel.onnx</c>).</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidOperationException">The assembly has no such resource.</exception>
    public static ClassifierModel FromResources(Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using Stream model = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Assembly '{assembly.GetName().Name}' has no resource '{name}'; it has: {string.Join(", ", assembly.GetManifestResourceNames())}.");
        string manifestName = Path.ChangeExtension(name, ".manifest.json");
        using Stream? manifest = assembly.GetManifestResourceStream(manifestName);
        return FromStream(name, model, manifest is null ? null : ModelManifest.Load(manifest, $"{assembly.GetName().Name}/{manifestName}"));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Data.Length:N0} bytes, {(Manifest is null ? "no manifest" : "with manifest")})";

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The type is named by a constant string, so the trimmer keeps it and its public static property when the package is in the application.")]
    private static ClassifierModel? FindDefault()
    {
        Type? type = Type.GetType(DefaultTypeName, throwOnError: false);
        return type?.GetProperty("Model", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as ClassifierModel;
    }
}
