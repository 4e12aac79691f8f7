using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Batch;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Postprocess;

/// <summary>
/// The last stage: one prediction per entry of a batch that has run, in input order: an error entry
/// for an input that failed before inference or whose batch failed, else the postprocessed output
/// row with the stage timings.
/// </summary>
internal sealed class BatchPostprocessor(Postprocessor postprocessor, string? embeddingName, int embeddingLength, KnnClassifier? knnHead, ILogger logger)
{
    private int _outputChecked;

    /// <summary>The predictions of one batch.</summary>
    public Prediction[] Create(PreparedBatch batch, InferenceOutcome outcome)
    {
        (double inferenceMs, double computeMs, string? failure) = outcome;
        var predictions = new Prediction[batch.Entries.Count];
        for (int i = 0; i < predictions.Length; i++)
        {
            PreparedBatch.Entry entry = batch.Entries[i];
            int? expected = entry.Input.LabelIndex;
            string? error = entry.Error ?? (entry.Slot >= 0 ? failure : null);
            if (error is not null)
            {
                predictions[i] = new Prediction
                {
                    Source = entry.Input.Name,
                    InputIndex = entry.InputIndex,
                    ExpectedClassIndex = expected,
                    Error = error,
                    ErrorKind = entry.Error is null ? PredictionErrorKind.Inference : entry.ErrorKind,
                    Timings = new StageTimings(entry.DecodeMs, entry.PreprocessMs, entry.Slot >= 0 ? inferenceMs : 0, 0),
                };
                continue;
            }

            long start = Stopwatch.GetTimestamp();
            ReadOnlySpan<float> row = batch.Buffer!.OutputRow(entry.Slot);
            // Once per classifier: a plain read on every later row, no interlocked operation.
            if (postprocessor.OutputKind == OutputKind.Logits && Volatile.Read(ref _outputChecked) == 0
                && Interlocked.Exchange(ref _outputChecked, 1) == 0 && Postprocessor.LooksLikeProbabilities(row))
            {
                ClassifierLog.OutputsLookLikeProbabilities(logger);
            }

            Prediction p = postprocessor.Create(
                row,
                entry.Input.Name,
                entry.InputIndex,
                expected,
                new StageTimings(entry.DecodeMs, entry.PreprocessMs, inferenceMs, 0) { ComputeMs = computeMs });
            if (embeddingLength > 0 && p.Succeeded)
            {
                p = WithEmbedding(p, batch.Buffer.EmbeddingRow(entry.Slot, embeddingLength));
            }

            p.Timings = p.Timings with { PostprocessMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds };
            predictions[i] = p;
        }

        return predictions;
    }

    /// <summary>The prediction with its embedding attached, or an error entry when the embedding is not finite.</summary>
    private Prediction WithEmbedding(Prediction p, ReadOnlySpan<float> row)
    {
        if (EmbeddingRule.TryNormalize(row, out float[] vector))
        {
            if (knnHead is not null)
            {
                // The kNN head answers instead of the linear head, on the vector of the same run.
                KnnPrediction k = knnHead.Classify(vector);
                (p.ClassIndex, p.Label, p.Score, p.Similarity) = (k.ClassIndex, k.Label, k.Score, k.Similarity);
                p.TopK = [new ClassScore(k.ClassIndex, k.Label, k.Score)];
            }

            p.Embedding = vector;
            p.EmbeddingName = embeddingName;
            return p;
        }

        return new Prediction
        {
            Source = p.Source,
            InputIndex = p.InputIndex,
            ExpectedClassIndex = p.ExpectedClassIndex,
            Timings = p.Timings,
            ErrorKind = PredictionErrorKind.InvalidOutput,
            Error = $"the network's '{embeddingName}' embedding for this image is not finite; the model overflowed on it (check its preprocessing and, for quantised models, its calibration)",
        };
    }
}
