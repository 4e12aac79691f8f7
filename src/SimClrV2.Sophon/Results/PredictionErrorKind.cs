namespace SimClrV2.Sophon.Results;

/// <summary>
/// Why an input has no class: the typed companion of <see cref="Prediction.Error"/>'s one-line
/// message, for code that reacts differently to a missing file, a corrupt image or a failed batch.
/// </summary>
public enum PredictionErrorKind
{
    /// <summary>The input was classified.</summary>
    None = 0,

    /// <summary>The file or folder does not exist (or its name cannot be opened on this platform).</summary>
    NotFound,

    /// <summary>The input exists but cannot be read: not a regular file (a FIFO, a device), no permission, an I/O error, a folder that cannot be listed.</summary>
    Unreadable,

    /// <summary>The bytes are not a readable image: empty, corrupt, truncated, or a format this library does not read.</summary>
    InvalidImage,

    /// <summary>The image exceeds <see cref="Decode.DecodeOptions"/>' limits (pixels claimed, encoded bytes).</summary>
    TooLarge,

    /// <summary>The input itself is wrong: a null entry, or the caller's input sequence threw.</summary>
    InvalidInput,

    /// <summary>Preprocessing the decoded image failed.</summary>
    Preprocessing,

    /// <summary>The engine could not run the batch holding this input (inference failed, no batch buffer).</summary>
    Inference,

    /// <summary>The network's output for this input is not finite (NaN or infinity).</summary>
    InvalidOutput,

    /// <summary>The run was cancelled before this input was decoded.</summary>
    Cancelled,
}
