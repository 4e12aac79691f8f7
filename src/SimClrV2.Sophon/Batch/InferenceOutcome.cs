namespace SimClrV2.Sophon.Batch;

/// <summary>The result of running one batch: inference time per image, device compute time per image, or why it failed.</summary>
/// <param name="InferenceMs">Wall time of the run, per image.</param>
/// <param name="ComputeMs">Time the device or runtime reported computing, per image (0 when unknown).</param>
/// <param name="Failure">Why the run failed, or null.</param>
internal readonly record struct InferenceOutcome(double InferenceMs, double ComputeMs, string? Failure);
