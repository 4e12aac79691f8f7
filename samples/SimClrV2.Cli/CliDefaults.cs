namespace SimClrV2.Cli;

/// <summary>What the tool uses when no path is given: the model and images shipped beside it.</summary>
internal static class CliDefaults
{
    public const string ModelFileName = "simclrv2-r18w025-cifar10.onnx";

    public static string ModelPath => Path.Combine(AppContext.BaseDirectory, "models", ModelFileName);

    public static string ImagesPath => Path.Combine(AppContext.BaseDirectory, "images");

    public static IReadOnlyList<string> Cifar10Labels { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
}
