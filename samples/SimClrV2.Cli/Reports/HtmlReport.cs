using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Results;

using static SimClrV2.Cli.Reports.Html;

namespace SimClrV2.Cli.Reports;

/// <summary>
/// One self-contained HTML file (inline CSS and SVG, images as PNG data URIs, no script, nothing
/// fetched): accuracy, per-class accuracy bars, a confusion-matrix heat map and per-stage timing
/// bars for each result file; for two result files of the same inputs, their agreement, per-class
/// differences and the inputs where they disagree, with thumbnails.
/// </summary>
internal static class HtmlReport
{
    /// <summary>At most this many disagreeing inputs are listed (with thumbnails), so a report of 10,000 inputs stays small.</summary>
    public const int MaxDisagreements = 120;

    private const string Style = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; }
        .muted { color: #57606a; } .runs { display: flex; gap: 16px; flex-wrap: wrap; }
        .card { border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; min-width: 220px; }
        .big { font-size: 30px; font-weight: 600; }
        table.matrix { border-collapse: collapse; font-size: 12px; }
        table.matrix th { padding: 2px 6px; font-weight: 500; text-align: right; }
        table.matrix td.cell { width: 44px; height: 26px; text-align: center; border: 1px solid #fff; }
        table.list { border-collapse: collapse; } table.list td, table.list th { padding: 3px 10px; border-bottom: 1px solid #eaeef2; text-align: left; }
        img.thumb { width: 48px; height: 48px; image-rendering: pixelated; border: 1px solid #d0d7de; }
        .plus { color: #1a7f37; } .minus { color: #cf222e; }
        svg text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
        """;

    /// <summary>Writes the report.</summary>
    /// <param name="path">The .html file.</param>
    /// <param name="option">The option that named it, for messages.</param>
    /// <param name="readFiles">The files the run reads (result and label files), which it must not overwrite.</param>
    /// <param name="title">The report's title.</param>
    /// <param name="runs">One or more evaluated result files.</param>
    /// <param name="thumbnail">A small PNG of an input by name, or null when none can be made.</param>
    public static void Write(string path, string option, IEnumerable<string?> readFiles, string title, IReadOnlyList<ReportRun> runs, Func<string, byte[]?> thumbnail) =>
        ReportFiles.WriteText(path, option, readFiles, Render(title, runs, thumbnail));

    /// <summary>The report's HTML.</summary>
    public static string Render(string title, IReadOnlyList<ReportRun> runs, Func<string, byte[]?> thumbnail)
    {
        ArgumentOutOfRangeException.ThrowIfZero(runs.Count);
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
        html.Append(Inv($"<title>{E(title)}</title><style>{Style}</style></head><body>\n"));
        html.Append(Inv($"<h1>{E(title)}</h1><p class=\"muted\">{runs.Count} result file(s), {runs[0].Accuracy.Evaluated + runs[0].Accuracy.Missing} labelled inputs; made by simclrv2</p>\n"));

        html.Append("<section id=\"summary\"><h2>Accuracy</h2><div class=\"runs\">");
        foreach (ReportRun run in runs)
        {
            AccuracyReport a = run.Accuracy;
            html.Append(Inv($"<div class=\"card\"><div class=\"muted\">{E(run.Name)}</div><div class=\"big accuracy\">{a.AccuracyPercent:F3}%</div>"));
            html.Append(Inv($"<div>{a.Correct} of {a.Evaluated} correct; failed {a.Failed}, without a result {a.Missing}, without a label {a.Unmatched}</div></div>"));
        }

        html.Append("</div></section>\n");
        for (int r = 0; r < runs.Count; r++)
        {
            ReportRun run = runs[r];
            html.Append(Inv($"<section class=\"run\" id=\"run{r}\"><h2>{E(run.Name)}</h2>"));
            html.Append("<h3>Per-class accuracy</h3>");
            html.Append(Bars([.. run.Accuracy.Labels.Select((l, i) => (l, run.Accuracy.ClassAccuracyPercent(i)))], 100, "%"));
            html.Append("<h3>Confusion matrix</h3><p class=\"muted\">rows: true class, columns: predicted; darker is more</p>");
            html.Append(Matrix(run.Accuracy));
            html.Append("<h3>Stage times (ms per image)</h3>");
            if (run.Timings is { } t)
            {
                (string, double)[] stages = [("decode", t.DecodeMs), ("preprocess", t.PreprocessMs), ("inference", t.InferenceMs), ("postprocess", t.PostprocessMs)];
                html.Append(Bars(stages, Math.Max(1e-9, stages.Max(s => s.Item2)), " ms"));
            }
            else
            {
                html.Append("<p class=\"muted\">This result file has no per-stage times (the reference program writes none).</p>");
            }

            html.Append("</section>\n");
        }

        if (runs.Count >= 2)
        {
            Compare(html, runs[0], runs[1], thumbnail);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Compare(StringBuilder html, ReportRun a, ReportRun b, Func<string, byte[]?> thumbnail)
    {
        Dictionary<string, PredictionRecord> other = b.Records.GroupBy(r => r.Filename, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var both = a.Records.Where(r => other.ContainsKey(r.Filename)).Select(r => (A: r, B: other[r.Filename])).ToList();
        var disagree = both.Where(p => p.A.Prediction != p.B.Prediction).ToList();
        double agreement = both.Count == 0 ? 0 : 100.0 * (both.Count - disagree.Count) / both.Count;
        html.Append(Inv($"<section id=\"comparison\"><h2>{E(a.Name)} vs {E(b.Name)}</h2>"));
        html.Append(Inv($"<div class=\"card\"><div class=\"muted\">same class for</div><div class=\"big agreement\">{agreement:F2}%</div><div>{both.Count - disagree.Count} of {both.Count} inputs in both files; accuracy {a.Accuracy.AccuracyPercent:F3}% vs {b.Accuracy.AccuracyPercent:F3}%</div></div>"));
        html.Append("<h3>Per-class accuracy</h3><table class=\"list\"><tr><th>class</th><th>first</th><th>second</th><th>difference</th></tr>");
        IReadOnlyList<string> labels = a.Accuracy.Labels;
        for (int c = 0; c < labels.Count; c++)
        {
            double x = a.Accuracy.ClassAccuracyPercent(c), y = b.Accuracy.ClassAccuracyPercent(c), d = y - x;
            string difference = double.IsNaN(d) ? "<td class=\"na\">n/a</td>" : Inv($"<td class=\"{(d >= 0 ? "plus" : "minus")}\">{d:+0.00;-0.00;0.00}</td>");
            html.Append(Inv($"<tr class=\"class-diff\"><td>{E(labels[c])}</td><td>{Percent(x)}</td><td>{Percent(y)}</td>{difference}</tr>"));
        }

        html.Append("</table>");
        html.Append(Inv($"<h3>Inputs where they disagree ({disagree.Count}{(disagree.Count > MaxDisagreements ? $", the first {MaxDisagreements} shown" : string.Empty)})</h3>"));
        html.Append("<table class=\"list disagreements\"><tr><th></th><th>input</th><th>first</th><th>second</th></tr>");
        foreach ((PredictionRecord x, PredictionRecord y) in disagree.Take(MaxDisagreements))
        {
            byte[]? png = thumbnail(x.Filename);
            string image = png is null ? string.Empty : $"<img class=\"thumb\" alt=\"{E(x.Filename)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";
            html.Append(Inv($"<tr class=\"disagreement\"><td>{image}</td><td>{E(x.Filename)}</td><td>{Describe(x, labels)}</td><td>{Describe(y, labels)}</td></tr>"));
        }

        html.Append("</table></section>\n");
    }

    /// <summary>A class's accuracy with two decimals, or n/a for a class with no images.</summary>
    private static string Percent(double value) => double.IsNaN(value) ? "n/a" : Inv($"{value:F2}%");

    private static string Describe(PredictionRecord r, IReadOnlyList<string> labels) =>
        r.Error is not null ? $"error: {E(r.Error)}" : Inv($"{E(r.Prediction >= 0 && r.Prediction < labels.Count ? labels[r.Prediction] : r.Prediction.ToString(CultureInfo.InvariantCulture))} ({r.Score:F3})");

    /// <summary>Horizontal bars as inline SVG: one labelled bar per item, scaled to <paramref name="max"/>.</summary>
    private static string Bars(IReadOnlyList<(string Label, double Value)> items, double max, string unit)
    {
        const int LabelWidth = 110, BarWidth = 420, Row = 22;
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg class=\"bars\" width=\"{LabelWidth + BarWidth + 90}\" height=\"{items.Count * Row + 4}\" role=\"img\">"));
        for (int i = 0; i < items.Count; i++)
        {
            (string label, double value) = items[i];
            double v = double.IsNaN(value) ? 0 : value;
            double w = Math.Max(0, Math.Min(1, v / max)) * BarWidth;
            int y = i * Row + 2;
            svg.Append(Inv($"<text x=\"{LabelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{E(label)}</text>"));
            svg.Append(Inv($"<rect class=\"bar\" x=\"{LabelWidth}\" y=\"{y + 2}\" width=\"{w:F1}\" height=\"{Row - 6}\" fill=\"#0969da\"/>"));
            svg.Append(Inv($"<text x=\"{LabelWidth + w + 6:F1}\" y=\"{y + 15}\">{(double.IsNaN(value) ? "n/a" : value.ToString("F2", CultureInfo.InvariantCulture) + unit)}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The confusion matrix as a table whose cells are shaded by their share of the row.</summary>
    private static string Matrix(AccuracyReport report)
    {
        IReadOnlyList<string> labels = report.Labels;
        var table = new StringBuilder("<table class=\"matrix\"><tr><th></th>");
        foreach (string label in labels)
        {
            table.Append(Inv($"<th>{E(label)}</th>"));
        }

        table.Append("</tr>");
        for (int t = 0; t < labels.Count; t++)
        {
            int rowTotal = 0;
            for (int p = 0; p < labels.Count; p++)
            {
                rowTotal += report.Confusion[t, p];
            }

            table.Append(Inv($"<tr><th>{E(labels[t])}</th>"));
            for (int p = 0; p < labels.Count; p++)
            {
                int n = report.Confusion[t, p];
                double share = rowTotal == 0 ? 0 : (double)n / rowTotal;
                string colour = t == p ? Inv($"rgba(26,127,55,{0.08 + (0.92 * share):F3})") : Inv($"rgba(207,34,46,{(n == 0 ? 0 : 0.08 + (0.92 * Math.Sqrt(share))):F3})");
                string text = share > 0.55 ? "#fff" : "#1b1f24";
                table.Append(Inv($"<td class=\"cell\" style=\"background:{colour};color:{text}\" title=\"true {E(labels[t])}, predicted {E(labels[p])}: {n}\">{n}</td>"));
            }

            table.Append("</tr>");
        }

        return table.Append("</table>").ToString();
    }
}
