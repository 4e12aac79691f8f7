using System.Globalization;
using System.Text;

namespace SimClrV2.Sophon.Results;

/// <summary>
/// Time one image spent in each stage, in milliseconds. Batch stages (inference, postprocess) are
/// the batch's time divided by the images in it; decode of a file read at once (CIFAR) is the file's
/// read time divided by its images, as the reference reports it.
/// </summary>
/// <param name="DecodeMs">Decoding (image decode, or the share of a CIFAR file's read).</param>
/// <param name="PreprocessMs">Resize (when needed) and normalisation into the input tensor.</param>
/// <param name="InferenceMs">The engine's run of the batch, per image.</param>
/// <param name="PostprocessMs">Softmax, argmax, top-k and the result object, per image.</param>
public readonly record struct StageTimings(double DecodeMs, double PreprocessMs, double InferenceMs, double PostprocessMs)
{
    /// <summary>
    /// The compute part of <see cref="InferenceMs"/> per image, the reference's "calculate time":
    /// launch to sync on a SOPHON device (what <c>bmrt_test</c> reports), the session run on ONNX
    /// Runtime; the rest of inference is copies, hand-offs and conversions.
    /// </summary>
    public double ComputeMs { get; init; }

    /// <summary>The sum of all stages.</summary>
    public double TotalMs => DecodeMs + PreprocessMs + InferenceMs + PostprocessMs;

    /// <summary>Adds two timings stage by stage.</summary>
    /// <param name="a">The first.</param>
    /// <param name="b">The second.</param>
    /// <returns>The sum.</returns>
    public static StageTimings operator +(StageTimings a, StageTimings b) =>
        new(a.DecodeMs + b.DecodeMs, a.PreprocessMs + b.PreprocessMs, a.InferenceMs + b.InferenceMs, a.PostprocessMs + b.PostprocessMs) { ComputeMs = a.ComputeMs + b.ComputeMs };

    /// <summary>Adds two timings stage by stage.</summary>
    /// <param name="other">The other timings.</param>
    /// <returns>The sum.</returns>
    public StageTimings Add(StageTimings other) => this + other;

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
            sum += t;
            count++;
        }

        return count == 0
            ? default
            : new(sum.DecodeMs / count, sum.PreprocessMs / count, sum.InferenceMs / count, sum.PostprocessMs / count) { ComputeMs = sum.ComputeMs / count };
    }

    /// <summary>The reference program's timing block, milliseconds per image with 2 decimals.</summary>
    /// <returns>Five lines.</returns>
    public string ToReferenceBlock()
    {
        var sb = new StringBuilder();
        sb.AppendLine("------------------ Inference Time Info ----------------------");
        sb.AppendLine(CultureInfo.InvariantCulture, $"decode_time(ms): {DecodeMs:F2}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"preprocess_time(ms): {PreprocessMs:F2}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"inference_time(ms): {InferenceMs:F2}");
        sb.Append(CultureInfo.InvariantCulture, $"postprocess_time(ms): {PostprocessMs:F2}");
        return sb.ToString();
    }
}
