using SimClrV2.Sophon.Models;

namespace SimClrV2.Sophon.Models.Cifar10;

/// <summary>
/// The default model: SimCLRv2 (ResNet-18, width 0.25, selective kernels off) fine-tuned on
/// CIFAR-10, 86.43 % top-1 on the 10,000 test images, 32x32 RGB input with the CIFAR-10
/// mean/std, ten labels. Referencing this package is enough: a classifier created with no model
/// uses it (<see cref="ClassifierModel.Default"/>).
/// </summary>
public static class Cifar10Model
{
    /// <summary>The model's name (its file name in the repository and in result file names).</summary>
    public const string Name = "simclrv2-r18w025-cifar10.onnx";

    private static readonly Lazy<ClassifierModel> s_model = new(() => ClassifierModel.FromResources(typeof(Cifar10Model).Assembly, Name));

    /// <summary>The model with its manifest, read from this assembly once.</summary>
    public static ClassifierModel Model => s_model.Value;
}
