using System.Globalization;
using System.Text;
using System.Text.Json;
using SimClrV2.Sophon.Decode;

namespace SimClrV2.Sophon.Results;

/// <summary>One entry of a result file (<see cref="PredictionJson.Read"/>).</summary>
public sealed class PredictionRecord
{
    /// <summary>Creates an entry.</summary>
    /// <param name="filename">The input's name.</param>
    /// <param name="prediction">The predicted class, or -1 when the input failed.</param>
    /// <param name="score">The predicted class's probability (0 when failed).</param>
    /// <param name="error">Why the input failed, or null.</param>
    public PredictionRecord(string filename, int prediction, double score, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(filename);
        Filename = filename;
        Prediction = prediction;
        Score = score;
        Error = error;
    }

    /// <summary>The input's name.</summary>
    public string Filename { get; }

    /// <summary>The predicted class, or -1 when the input failed.</summary>
    public int Prediction { get; }

    /// <summary>The predicted class's probability (0 when failed).</summary>
    public double Score { get; }

    /// <summary>Why the input failed, or null.</summary>
    public string? Error { get; }

    /// <summary>The entry's per-stage times (<c>"timings_ms"</c>), or null when the file has none (the reference's).</summary>
    public StageTimings? Timings { get; internal init; }
}

/// <summary>
/// The reference program's result file: a JSON list (indent 4) of
/// <c>{"filename": str, "prediction": int, "score": float}</c> in input order. A failed input
/// additionally carries <c>"error"</c> and has prediction -1, so nothing is silently dropped.
/// </summary>
public static class PredictionJson
{
    /// <summary>
    /// Writes predictions to a file, creating its folder. The file is written under a temporary
    /// name beside it and renamed over the destination only when complete, so a failure never
    /// leaves a half-written file or destroys the previous one.
    /// </summary>
    /// <param name="path">The destination.</param>
    /// <param name="predictions">The predictions.</param>
    /// <exception cref="ArgumentException">The path exists and is not a regular file (a folder, a device node, a FIFO, a socket): it is never replaced.</exception>
    public static void Write(string path, IEnumerable<Prediction> predictions)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(predictions);
        OutputFile.Write(path, nameof(path), [], stream => Write(stream, predictions));
    }

    /// <summary>
    /// Refuses an output path that would overwrite something the run reads: one of the inputs'
    /// files (an image, an image inside an input folder, a CIFAR file) or one of
    /// <paramref name="otherFiles"/> (the model, its manifest). Links are followed, so a link to
    /// an input counts as the input. Call it before the run, so nothing is computed in vain.
    /// </summary>
    /// <param name="output">The result file about to be written.</param>
    /// <param name="inputs">The run's inputs.</param>
    /// <param name="otherFiles">Other files the run reads (null entries are ignored).</param>
    /// <exception cref="ArgumentException">The output is one of those files, or exists and is not a regular file.</exception>
    internal static void EnsureOutputIsNotAnInput(string output, IEnumerable<ImageInput> inputs, params string?[] otherFiles)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(otherFiles);
        OutputFile.Require(output, "Output", inputs.Select(i => i.SourceFile).Concat(otherFiles));
    }

    /// <summary>
    /// Writes predictions to a stream (left open) exactly as the reference's <c>json.dump(results, f, indent=4)</c>
    /// lays them out: 4-space indents, <c>": "</c> between key and value, names escaped as Python
    /// escapes them (only <c>"</c>, <c>\</c>, control characters, and non-ASCII as <c>\uXXXX</c>), scores as
    /// Python writes a float (always with a decimal point or exponent). Each entry adds, besides the
    /// reference's three fields, <c>"timings_ms"</c> (its per-stage times), with a kNN head <c>"similarity"</c> (<see cref="Prediction.Similarity"/>) and, when it failed, <c>"error"</c>;
    /// the reference's readers ignore them.
    /// </summary>
    /// <param name="stream">The destination.</param>
    /// <param name="predictions">The predictions.</param>
    public static void Write(Stream stream, IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(predictions);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        string separator = "[";
        foreach (Prediction p in predictions)
        {
            StageTimings t = p.Timings;
            writer.WriteLine(separator);
            writer.WriteLine("    {");
            writer.WriteLine($"        \"filename\": {PythonJson.String(p.Source)},");
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"        \"prediction\": {p.ClassIndex},"));
            writer.WriteLine($"        \"score\": {PythonJson.Float(p.Score)},");
            writer.WriteLine("        \"timings_ms\": {");
            writer.WriteLine($"            \"decode\": {PythonJson.Float(t.DecodeMs)},");
            writer.WriteLine($"            \"preprocess\": {PythonJson.Float(t.PreprocessMs)},");
            writer.WriteLine($"            \"inference\": {PythonJson.Float(t.InferenceMs)},");
            writer.Write($"            \"postprocess\": {PythonJson.Float(t.PostprocessMs)}\n        }}");
            if (p.Similarity is { } similarity)
            {
                writer.Write($",\n        \"similarity\": {PythonJson.Float(similarity)}");
            }

            if (p.Error is not null)
            {
                writer.Write($",\n        \"error\": {PythonJson.String(p.Error)}");
            }

            writer.Write("\n    }");
            separator = ",";
        }

        writer.Write(separator == "[" ? "[]" : "\n]");
    }

    /// <summary>Reads a result file (ours or the reference program's).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The entries in file order.</returns>
    /// <exception cref="FileNotFoundException">No file at the path.</exception>
    /// <exception cref="InvalidDataException">The file is not such a list.</exception>
    public static IReadOnlyList<PredictionRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Result file '{path}' does not exist; write one with 'simclrv2 classify --output FILE'.", path);
        }

        try
        {
            using FileStream stream = File.OpenRead(path);
            using JsonDocument document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"'{path}' is not a result file: the top level is not a JSON list.");
            }

            var records = new List<PredictionRecord>(document.RootElement.GetArrayLength());
            int index = 0;
            foreach (JsonElement item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("filename", out JsonElement name) || name.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("prediction", out JsonElement prediction) || !prediction.TryGetInt32(out int cls)
                    || !item.TryGetProperty("score", out JsonElement score) || !score.TryGetDouble(out double s))
                {
                    throw new InvalidDataException($"'{path}': entry {index} is not {{\"filename\": str, \"prediction\": int, \"score\": float}}.");
                }

                string? error = item.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                records.Add(new PredictionRecord(name.GetString()!, cls, s, error) { Timings = ReadTimings(item) });
                index++;
            }

            return records;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>The entry's <c>"timings_ms"</c>, or null (the reference's files have none).</summary>
    private static StageTimings? ReadTimings(JsonElement item)
    {
        if (!item.TryGetProperty("timings_ms", out JsonElement t) || t.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        double Get(string stage) => t.TryGetProperty(stage, out JsonElement v) && v.TryGetDouble(out double ms) ? ms : 0;
        return new StageTimings(Get("decode"), Get("preprocess"), Get("inference"), Get("postprocess"));
    }
}
