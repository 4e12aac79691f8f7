using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Turns a decoded image into its slot of a batch's input tensor: on the CPU (<see cref="CpuPreprocessor"/>)
/// or on the device (BMCV, writing straight into device memory).
/// </summary>
internal interface IImagePreprocessor
{
    /// <summary>A short name for reports and file names: <c>cpu</c> or <c>bmcv</c>.</summary>
    string Name { get; }

    /// <summary>The preprocessing options.</summary>
    PreprocessingOptions Options { get; }

    /// <summary>Writes one image into slot <paramref name="slot"/> of <paramref name="batch"/>.</summary>
    /// <param name="image">The decoded image (any size; resized when it differs from the input).</param>
    /// <param name="batch">A batch rented from the engine.</param>
    /// <param name="slot">0..Capacity-1.</param>
    void Process(DecodedImage image, InferenceBatch batch, int slot);
}
