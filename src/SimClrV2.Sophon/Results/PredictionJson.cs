using System.Text.Json;

namespace SimClrV2.Sophon.Results;

/// <summary>One entry of a result file.</summary>
/// <param name="Filename">The input's name.</param>
/// <param name="Prediction">The predicted class, or -1 when the input failed.</param>
/// <param name="Score">The predicted class's probability (0 when failed).</param>
/// <param name="Error">Why the input failed, or null.</param>
public sealed record PredictionRecord(string Filename, int Prediction, double Score, string? Error = null);

/// <summary>
/// The reference program's result file: a JSON list (indent 4) of
/// <c>{"filename": str, "prediction": int, "score": float}</c> in input order. A failed input
/// additionally carries <c>"error"</c> and has prediction -1, so nothing is silently dropped.
/// </summary>
public static class PredictionJson
{
    /// <summary>Writes predictions to a file, creating its folder.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="predictions">The predictions.</param>
    public static void Write(string path, IEnumerable<Prediction> predictions)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        using FileStream stream = File.Create(path);
        Write(stream, predictions);
    }

    /// <summary>Writes predictions to a stream (left open).</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="predictions">The predictions.</param>
    public static void Write(Stream stream, IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(predictions);
        var options = new JsonWriterOptions
        {
            Indented = true,
#if NET9_0_OR_GREATER
            IndentSize = 4,
#endif
        };
        using var writer = new Utf8JsonWriter(stream, options);
        writer.WriteStartArray();
        foreach (Prediction p in predictions)
        {
            writer.WriteStartObject();
            writer.WriteString("filename", p.Source);
            writer.WriteNumber("prediction", p.ClassIndex);
            writer.WriteNumber("score", (double)p.Score);
            if (p.Error is not null)
            {
                writer.WriteString("error", p.Error);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
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
                records.Add(new PredictionRecord(name.GetString()!, cls, s, error));
                index++;
            }

            return records;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }
}
