using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Results;

using static SimClrV2.Cli.Reports.Html;

namespace SimClrV2.Cli.Reports;

/// <summary>One model's run in <c>simclrv2 bench</c>.</summary>
/// <param name="Name">The model (a bmodel's name without its extension, an ONNX file name), with the run's variant.</param>
/// <param name="Engine">onnxruntime or sophon.</param>
/// <param name="Batch">The batch size.</param>
/// <param name="IsBModel">Whether the model is a bmodel.</param>
/// <param name="Timings">Average per-stage times per image.</param>
/// <param name="WallMs">Wall time per image (pipelined).</param>
/// <param name="Failed">Inputs that failed.</param>
/// <param name="AccuracyPercent">Accuracy on the inputs that carry labels (CIFAR, class folders), or null when none does.</param>
internal sealed record BenchRow(string Name, string Engine, int Batch, bool IsBModel, StageTimings Timings, double WallMs, int Failed, double? AccuracyPercent)
{
    /// <summary>The SOPHON devices the run used (empty for ONNX Runtime).</summary>
    public IReadOnlyList<int> Devices { get; init; } = [];

    /// <summary>Images per second, wall clock.</summary>
    public double Throughput => 1000 / WallMs;
}

/// <summary>
/// The reference README's three tables (accuracy per model, calculate time, per-stage program
/// times) as markdown, in this tool's layout or the reference's own (its columns, 2 decimals,
/// <c>BM1684X/&lt;name&gt;.bmodel</c>), and as a self-contained HTML page with a per-stage chart.
/// </summary>
internal static class BenchTables
{
    private static readonly (string Name, string Colour)[] Stages = [("decode", "#8250df"), ("preprocess", "#bf8700"), ("inference", "#0969da"), ("postprocess", "#1a7f37")];

    /// <summary>The header line: what was run and the unit.</summary>
    public static string Header(string input, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{ConsoleText.Count(count, "image")} from {input}; times in ms per image (the reference printed a batch-4 model's program times per batch; here every batch's time is divided by its images)");

    public static string Markdown(IReadOnlyList<BenchRow> rows, string header, bool referenceLayout)
    {
        var md = new StringBuilder(header).Append("\n\n");
        foreach ((_, string[] columns, string[][] cells) in Tables(rows, referenceLayout))
        {
            AppendTable(md, columns, cells);
        }

        return md.ToString();
    }

    public static string Html(IReadOnlyList<BenchRow> rows, string header, bool referenceLayout)
    {
        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>simclrv2 bench</title><style>");
        html.Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}table{border-collapse:collapse;margin:8px 0 20px}");
        html.Append("td,th{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left}h2{font-size:17px;border-bottom:1px solid #d0d7de}svg text{font:12px system-ui,sans-serif}</style></head><body>");
        html.Append(Inv($"<h1>simclrv2 bench</h1><p>{E(header)}</p>"));
        foreach ((string title, string[] columns, string[][] cells) in Tables(rows, referenceLayout))
        {
            html.Append(Inv($"<h2>{E(title)}</h2><table class=\"bench\"><tr>{string.Concat(columns.Select(c => $"<th>{E(c)}</th>"))}</tr>"));
            foreach (string[] row in cells)
            {
                html.Append(Inv($"<tr class=\"row\">{string.Concat(row.Select(c => $"<td>{E(c)}</td>"))}</tr>"));
            }

            html.Append("</table>");
        }

        html.Append("<h2>Per-stage time per model (ms per image)</h2>").Append(StackedBars(rows)).Append("</body></html>\n");
        return html.ToString();
    }

    private static void AppendTable(StringBuilder md, string[] columns, string[][] cells)
    {
        md.Append("| ").AppendJoin(" | ", columns).Append(" |\n|").Append(string.Concat(columns.Select(_ => "---|"))).Append('\n');
        foreach (string[] row in cells)
        {
            md.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }

        md.Append('\n');
    }

    /// <summary>The three tables: title, columns, cells.</summary>
    private static IEnumerable<(string Title, string[] Columns, string[][] Cells)> Tables(IReadOnlyList<BenchRow> rows, bool referenceLayout)
    {
        if (referenceLayout)
        {
            yield return ("Accuracy", ["platform", "program", "model", "ACC(%)"], [.. rows.Select(r => new[] { Platform(r), "simclrv2 (.NET)", ReferenceName(r), Accuracy(r, "F2") })]);
            yield return ("Calculate time", ["model", "calculate time(ms)"], [.. rows.Select(r => new[] { ReferenceName(r), F(r.Timings.ComputeMs, "F2") })]);
            yield return ("Program times", ["platform", "program", "model", "preprocess_time", "inference_time", "postprocess_time"],
                [.. rows.Select(r => new[] { Platform(r), "simclrv2 (.NET)", ReferenceName(r), F(r.Timings.PreprocessMs, "F2"), F(r.Timings.InferenceMs, "F2"), F(r.Timings.PostprocessMs, "F2") })]);
            yield break;
        }

        if (PoolRows(rows).ToList() is { Count: > 0 } pools)
        {
            yield return ("Device pool", ["model", "devices", "images/s", "sum of the single devices (images/s)", "pool efficiency"], [.. pools]);
        }

        yield return ("Accuracy", ["model", "engine", "batch", "ACC (%)", "failed"], [.. rows.Select(r => new[] { r.Name, r.Engine, Inv($"{r.Batch}"), Accuracy(r, "F2"), Inv($"{r.Failed}") })]);
        yield return ("Calculate time", ["model", "engine", "batch", "calculate time (ms)"], [.. rows.Select(r => new[] { r.Name, r.Engine, Inv($"{r.Batch}"), F(r.Timings.ComputeMs, "F3") })]);
        yield return ("Program times", ["model", "decode", "preprocess", "inference", "postprocess", "wall (pipelined)", "max stage", "images/s", "vs first"],
            [.. rows.Select(r =>
            {
                StageTimings t = r.Timings;
                double maxStage = new[] { t.DecodeMs, t.PreprocessMs, t.InferenceMs, t.PostprocessMs }.Max();
                return new[] { r.Name, F(t.DecodeMs, "F3"), F(t.PreprocessMs, "F3"), F(t.InferenceMs, "F3"), F(t.PostprocessMs, "F3"), F(r.WallMs, "F3"), F(maxStage, "F3"), F(1000 / r.WallMs, "F0"), F(rows[0].WallMs / r.WallMs, "F2") + "x" };
            })]);
    }

    /// <summary>
    /// For each run on several devices: its throughput against the sum of the same model's runs on
    /// each of those devices alone (100 %: every device kept as busy as when it runs alone).
    /// </summary>
    private static IEnumerable<string[]> PoolRows(IReadOnlyList<BenchRow> rows)
    {
        foreach (BenchRow pool in rows.Where(r => r.Devices.Count > 1))
        {
            string model = pool.Name[..pool.Name.IndexOf(" [dev ", StringComparison.Ordinal)];
            BenchRow[] singles = [.. rows.Where(r => r.Devices.Count == 1 && pool.Devices.Contains(r.Devices[0]) && r.Name.StartsWith(model + " [dev ", StringComparison.Ordinal))];
            if (singles.Length != pool.Devices.Count)
            {
                continue;
            }

            double sum = singles.Sum(r => r.Throughput);
            yield return [model, string.Join(",", pool.Devices), F(pool.Throughput, "F0"), F(sum, "F0"), F(100 * pool.Throughput / sum, "F1") + " %"];
        }
    }

    /// <summary>One stacked bar per model: decode, preprocess, inference, postprocess.</summary>
    private static string StackedBars(IReadOnlyList<BenchRow> rows)
    {
        const int LabelWidth = 260, Width = 460, Row = 24;
        double max = Math.Max(1e-9, rows.Max(r => r.Timings.DecodeMs + r.Timings.PreprocessMs + r.Timings.InferenceMs + r.Timings.PostprocessMs));
        var svg = new StringBuilder(Inv($"<svg class=\"stages\" width=\"{LabelWidth + Width + 80}\" height=\"{(rows.Count + 1) * Row + 8}\" role=\"img\">"));
        for (int i = 0; i < Stages.Length; i++)
        {
            svg.Append(Inv($"<rect x=\"{LabelWidth + (i * 110)}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{Stages[i].Colour}\"/><text x=\"{LabelWidth + (i * 110) + 16}\" y=\"15\">{Stages[i].Name}</text>"));
        }

        for (int r = 0; r < rows.Count; r++)
        {
            StageTimings t = rows[r].Timings;
            double[] values = [t.DecodeMs, t.PreprocessMs, t.InferenceMs, t.PostprocessMs];
            int y = ((r + 1) * Row) + 4;
            double x = LabelWidth;
            svg.Append(Inv($"<text x=\"{LabelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{E(rows[r].Name)}</text>"));
            for (int s = 0; s < values.Length; s++)
            {
                double w = values[s] / max * Width;
                svg.Append(Inv($"<rect class=\"stage\" x=\"{x:F1}\" y=\"{y + 3}\" width=\"{w:F1}\" height=\"{Row - 8}\" fill=\"{Stages[s].Colour}\"><title>{Stages[s].Name}: {values[s]:F3} ms</title></rect>"));
                x += w;
            }

            svg.Append(Inv($"<text x=\"{x + 6:F1}\" y=\"{y + 15}\">{values.Sum():F3} ms</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Platform(BenchRow r) => r.Engine == "sophon" ? "BM1684X" : "CPU (ONNX Runtime)";

    /// <summary>The reference's model names: <c>BM1684X/&lt;name&gt;.bmodel</c> for bmodels.</summary>
    private static string ReferenceName(BenchRow r) => r.IsBModel ? $"BM1684X/{r.Name}.bmodel" : r.Name;

    private static string Accuracy(BenchRow r, string format) => r.AccuracyPercent is { } a ? F(a, format) : "n/a (no labels)";

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
