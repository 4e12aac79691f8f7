using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>The classifier's log messages (every stage logs through these, category <see cref="ImageClassifier"/>).</summary>
internal static partial class ClassifierLog
{
    [LoggerMessage(EventId = SimClrV2EventIds.ClassifierCreated, Level = LogLevel.Information, Message = "Classifier on {Engine}: input '{Input}' {ElementType}, batch {Batch}, preprocessing {Preprocessing}")]
    public static partial void Created(ILogger logger, string engine, string input, TensorElementType elementType, int batch, PreprocessingOptions preprocessing);

    [LoggerMessage(EventId = SimClrV2EventIds.OutputsLookLikeProbabilities, Level = LogLevel.Warning, Message = "The model's outputs already sum to 1 (in [0, 1]); if it ends in softmax, set outputKind to probabilities in its manifest (or ClassifierOptions.OutputKind), or every score is softmaxed twice")]
    public static partial void OutputsLookLikeProbabilities(ILogger logger);

    /// <summary>Says, when a classifier is made, that JPEGs decode without libturbojpeg and what to install.</summary>
    public static void ReportJpegDecoder(ILogger logger)
    {
        if (SimClrV2.Sophon.Decode.TurboJpeg.Unavailable is { } why)
        {
            JpegDecoderMissing(logger, why);
        }
    }

    [LoggerMessage(EventId = SimClrV2EventIds.JpegDecoderMissing, Level = LogLevel.Warning, Message = "JPEGs decode at full size with ImageSharp, about twice as slow: {Reason}")]
    private static partial void JpegDecoderMissing(ILogger logger, string reason);

    [LoggerMessage(EventId = SimClrV2EventIds.InputFailed, Level = LogLevel.Warning, Message = "Input '{Input}' failed: {Reason}")]
    public static partial void InputFailed(ILogger logger, string input, string reason);

    [LoggerMessage(EventId = SimClrV2EventIds.InputSequenceFailed, Level = LogLevel.Error, Message = "Reading the inputs failed after {Count} input(s); the results so far are kept")]
    public static partial void InputsFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.BatchBufferFailed, Level = LogLevel.Error, Message = "No batch buffer could be rented; the inputs of this batch become error entries")]
    public static partial void RentFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.InferenceFailed, Level = LogLevel.Error, Message = "Inference of a batch of {Count} failed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = SimClrV2EventIds.RunCompleted, Level = LogLevel.Information, Message = "Classified {Count} input(s) ({Failed} failed) in {Seconds:F2} s, {Rate:F1} images/s, on {Engine}{Ending}")]
    public static partial void RunCompleted(ILogger logger, int count, int failed, double seconds, double rate, string engine, string ending);
}
