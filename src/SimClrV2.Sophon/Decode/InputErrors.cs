using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// The one rule that turns what reading or decoding an input threw into the
/// <see cref="PredictionErrorKind"/> of its error entry. Decoding throws
/// <see cref="InvalidDataException"/>s (their documented type) carrying their kind in
/// <see cref="Exception.Data"/>; other exceptions are judged by their type.
/// </summary>
internal static class InputErrors
{
    private const string KindKey = "SimClrV2.Sophon.PredictionErrorKind";

    /// <summary>An <see cref="InvalidDataException"/> whose error entry gets <paramref name="kind"/>.</summary>
    public static InvalidDataException Create(PredictionErrorKind kind, string message, Exception? inner = null)
    {
        var exception = new InvalidDataException(message, inner);
        exception.Data[KindKey] = kind;
        return exception;
    }

    /// <summary>The kind of error entry an exception from reading or decoding an input becomes.</summary>
    public static PredictionErrorKind KindOf(Exception exception) => exception switch
    {
        { Data: var data } when data[KindKey] is PredictionErrorKind kind => kind,
        FileNotFoundException or DirectoryNotFoundException => PredictionErrorKind.NotFound,
        UnauthorizedAccessException or IOException => PredictionErrorKind.Unreadable,
        OperationCanceledException => PredictionErrorKind.Cancelled,
        _ => PredictionErrorKind.InvalidImage,
    };
}
