using System.Globalization;

namespace SimClrV2.Sophon.Results;

/// <summary>
/// Time one image spent in each stage, in milliseconds. Batch stages (inference, postprocess) are
/// the batch's time divided by the images in it; decode of a file read at once (CIFAR) is the file's
/// read time divided by its images, as the reference reports it.
/// </summary>
public readonly struct StageTimings
{
    /// <summary>Creates timings.</summary>
    /// <param name="decodeMs">Decoding (image decode, or the share of a CIFAR file's read).</param>
    /// <param name="preprocessMs">Resize (when needed) and normalisation into the input tensor.</param>
    /// <param name="inferenceMs">The engine's run of the batch, per image.</param>
    /// <param name="postprocessMs">Softmax, argmax, top-k and the result object, per image.</param>
    public StageTimings(double decodeMs, double preprocessMs, double inferenceMs, double postprocessMs)
    {
        DecodeMs = decodeMs;
        PreprocessMs = preprocessMs;
        InferenceMs = inferenceMs;
        PostprocessMs = postprocessMs;
    }

    /// <summary>Decoding (image decode, or the share of a CIFAR file's read).</summary>
    public double DecodeMs { get; internal init; }

    /// <summary>Resize (when needed) and normalisation into the input tensor.</summary>
    public double PreprocessMs { get; internal init; }

    /// <summary>The engine's run of the batch, per image.</summary>
    public double InferenceMs { get; internal init; }

    /// <summary>Softmax, argmax, top-k and the result object, per image.</summary>
    public double PostprocessMs { get; internal init; }

    /// <summary>
    /// The compute part of <see cref="InferenceMs"/> per image, the reference's "calculate time":
    /// launch to sync on a SOPHON device (what <c>bmrt_test</c> reports), the session run on ONNX
    /// Runtime; the rest of inference is copies, hand-offs and conversions.
    /// </summary>
    public double ComputeMs { get; internal init; }

    /// <summary>The sum of all stages.</summary>
    public double TotalMs => DecodeMs + PreprocessMs + InferenceMs + PostprocessMs;

    /// <summary>Adds two timings stage by stage.</summary>
    internal static StageTimings Sum(StageTimings a, StageTimings b) =>
        new(a.DecodeMs + b.DecodeMs, a.PreprocessMs + b.PreprocessMs, a.InferenceMs + b.InferenceMs, a.PostprocessMs + b.PostprocessMs) { ComputeMs = a.ComputeMs + b.ComputeMs };

    /// <summary>The mean per image over predictions (failed ones count only for the stages they reached).</summary>
    /// <param name="predictions">The predictions.</param>
    /// <returns>The average, or zeros when there are none.</returns>
    public static StageTimings Average(IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return Average(predictions.Select(p => p.Timings));
    }

    /// <summary>The mean of per-image timings (e.g. a result file's <see cref="PredictionRecord.Timings"/>).</summary>
    /// <param name="timings">The timings.</param>
    /// <returns>The average, or zeros when there are none.</returns>
    public static StageTimings Average(IEnumerable<StageTimings> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        StageTimings sum = default;
        int count = 0;
        foreach (StageTimings t in timings)
        {
            sum = Sum(sum, t);
            count++;
        }

        return count == 0
            ? default
            : new(sum.DecodeMs / count, sum.PreprocessMs / count, sum.InferenceMs / count, sum.PostprocessMs / count) { ComputeMs = sum.ComputeMs / count };
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"decode {DecodeMs:F3} ms, preprocess {PreprocessMs:F3} ms, inference {InferenceMs:F3} ms (compute {ComputeMs:F3}), postprocess {PostprocessMs:F3} ms");
}
