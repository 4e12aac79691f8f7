using System.Globalization;
using System.Text;
using System.Text.Json;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli.Reports;

/// <summary><c>eval --format</c>: the accuracy report as text (the default), JSON or CSV.</summary>
internal static class AccuracyFormats
{
    public static readonly string[] Names = ["text", "json", "csv"];

    public static string Format(AccuracyReport report, string format) => format switch
    {
        "json" => Json(report),
        "csv" => Csv(report),
        _ => report.Format(),
    };

    /// <summary>{"accuracy", "correct", "evaluated", "failed", "missing", "unmatched", "per_class": [{"class", "correct", "total", "accuracy"}], "confusion": [[...]]}.</summary>
    private static string Json(AccuracyReport report)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("accuracy", Math.Round(report.AccuracyPercent, 3));
            w.WriteNumber("correct", report.Correct);
            w.WriteNumber("evaluated", report.Evaluated);
            w.WriteNumber("failed", report.Failed);
            w.WriteNumber("missing", report.Missing);
            w.WriteNumber("unmatched", report.Unmatched);
            w.WriteStartArray("per_class");
            foreach ((string label, int correct, int total, double accuracy) in Rows(report))
            {
                w.WriteStartObject();
                w.WriteString("class", label);
                w.WriteNumber("correct", correct);
                w.WriteNumber("total", total);
                if (double.IsNaN(accuracy))
                {
                    w.WriteNull("accuracy");
                }
                else
                {
                    w.WriteNumber("accuracy", Math.Round(accuracy, 3));
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("confusion");
            for (int t = 0; t < report.Labels.Count; t++)
            {
                w.WriteStartArray();
                for (int p = 0; p < report.Labels.Count; p++)
                {
                    w.WriteNumberValue(report.Confusion[t, p]);
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>class,correct,total,accuracy_percent: one row per class, then "all".</summary>
    private static string Csv(AccuracyReport report)
    {
        var csv = new StringBuilder("class,correct,total,accuracy_percent\n");
        foreach ((string label, int correct, int total, double accuracy) in Rows(report))
        {
            csv.Append(CultureInfo.InvariantCulture, $"{Quote(label)},{correct},{total},{(double.IsNaN(accuracy) ? string.Empty : accuracy.ToString("F3", CultureInfo.InvariantCulture))}\n");
        }

        csv.Append(CultureInfo.InvariantCulture, $"all,{report.Correct},{report.Evaluated},{report.AccuracyPercent:F3}\n");
        return csv.ToString();
    }

    private static IEnumerable<(string Label, int Correct, int Total, double Accuracy)> Rows(AccuracyReport report)
    {
        for (int t = 0; t < report.Labels.Count; t++)
        {
            int total = 0;
            for (int p = 0; p < report.Labels.Count; p++)
            {
                total += report.Confusion[t, p];
            }

            yield return (report.Labels[t], report.Confusion[t, t], total, report.ClassAccuracyPercent(t));
        }
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
