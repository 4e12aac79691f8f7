using System.CommandLine;
using SimClrV2.Cli.Reports;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>
/// <c>simclrv2 eval</c>: accuracy of a result file, matched to labels by file name, as text, JSON or
/// CSV, optionally with an HTML report; <c>simclrv2 report</c>: the HTML report of one or more result files.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var results = new Option<string>("--results", "-r") { Description = "A result JSON written by 'classify' (or by the reference program).", Required = true };
        var labels = LabelsOption();
        var model = ModelOption();
        var format = new Option<string>("--format") { Description = "How the numbers are printed: text (default), json or csv.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong(AccuracyFormats.Names);
        var html = new Option<string>("--html") { Description = "Also write a self-contained HTML report (accuracy, per-class bars, confusion matrix, stage times) to this file." };
        var command = new Command("eval", "Print accuracy (3 decimals), per-class accuracy and the confusion matrix of a result file.")
        {
            results, labels, model, format, html,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            IReadOnlyList<string> names = ClassNames(parse.GetValue(model));
            string labelsPath = parse.GetValue(labels)!;
            IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(labelsPath, names);
            string resultsPath = parse.GetValue(results)!;
            ReportRun run = Evaluate(resultsPath, truth, names);
            stdout.Write(AccuracyFormats.Format(run.Accuracy, parse.GetValue(format)!));
            if (parse.GetValue(html) is { } htmlPath)
            {
                HtmlReport.Write(htmlPath, $"simclrv2 eval: {Path.GetFileName(resultsPath)}", [run], Thumbnails.For(labelsPath));
                stderr.WriteLine($"report: {htmlPath}");
            }

            return 0;
        }));
        return command;
    }

    public static Command CreateReport(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("results") { Description = "One or more result files of the same inputs (e.g. an FP32 and an INT8 model's); the first two are compared.", Arity = ArgumentArity.OneOrMore };
        var labels = LabelsOption();
        var model = ModelOption();
        var output = new Option<string>("--output", "-o") { Description = "The HTML file. Default: results/report.html." };
        var command = new Command("report", "Write one self-contained HTML report of result files: accuracy, per-class bars, confusion matrices, stage times and, for two files, where they disagree.")
        {
            files, labels, model, output,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            IReadOnlyList<string> names = ClassNames(parse.GetValue(model));
            string labelsPath = parse.GetValue(labels)!;
            IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(labelsPath, names);
            ReportRun[] runs = [.. parse.GetValue(files)!.Select(f => Evaluate(f, truth, names))];
            string path = parse.GetValue(output) ?? Path.Combine("results", "report.html");
            HtmlReport.Write(path, "simclrv2 report: " + string.Join(" vs ", runs.Select(r => r.Name)), runs, Thumbnails.For(labelsPath));
            foreach (ReportRun run in runs)
            {
                stdout.WriteLine(FormattableString.Invariant($"{run.Name}: accuracy {run.Accuracy.AccuracyPercent:F3}% ({run.Accuracy.Correct}/{run.Accuracy.Evaluated})"));
            }

            stdout.WriteLine($"report: {path} ({new FileInfo(path).Length / 1024.0:F0} KB)");
            return 0;
        }));
        return command;
    }

    private static Option<string> LabelsOption() =>
        new("--labels", "-l") { Description = "Ground truth: a CIFAR-10 'test_batch' pickle, 'test_batch.bin', or a folder with one sub-folder per class.", Required = true };

    private static Option<string> ModelOption() =>
        new("--model", "-m") { Description = "The model whose manifest names the classes. Default: the shipped model (CIFAR-10 classes)." };

    private static IReadOnlyList<string> ClassNames(string? model) =>
        ModelManifest.TryLoadFor(model ?? CliDefaults.ModelPath)?.Labels ?? CliDefaults.Cifar10Labels;

    private static ReportRun Evaluate(string resultsPath, IReadOnlyDictionary<string, int> truth, IReadOnlyList<string> names)
    {
        var run = new ReportRun(Path.GetFileName(resultsPath), PredictionJson.Read(resultsPath), truth, names);
        if (run.Accuracy.Evaluated == 0)
        {
            throw new InvalidDataException($"No entry of '{resultsPath}' matches a labelled image by file name; check that the results and the labels come from the same data.");
        }

        return run;
    }
}
