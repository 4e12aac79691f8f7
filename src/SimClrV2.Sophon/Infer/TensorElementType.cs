namespace SimClrV2.Sophon.Infer;

/// <summary>The element type of a network input tensor, as the engine states it.</summary>
public enum TensorElementType
{
    /// <summary>32-bit IEEE float.</summary>
    Float32,

    /// <summary>16-bit IEEE float (<see cref="Half"/>).</summary>
    Float16,

    /// <summary>Signed 8-bit integer, quantised with <see cref="EngineInput.QuantizationScale"/>.</summary>
    Int8,

    /// <summary>Unsigned 8-bit integer, quantised with <see cref="EngineInput.QuantizationScale"/>.</summary>
    UInt8,
}

/// <summary>Helpers for <see cref="TensorElementType"/>.</summary>
internal static class TensorElementTypeExtensions
{
    /// <summary>The size of one element in bytes.</summary>
    /// <param name="type">The element type.</param>
    /// <returns>4, 2 or 1.</returns>
    public static int SizeInBytes(this TensorElementType type) => type switch
    {
        TensorElementType.Float32 => 4,
        TensorElementType.Float16 => 2,
        TensorElementType.Int8 or TensorElementType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown tensor element type."),
    };
}
