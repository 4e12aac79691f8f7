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
        var results = CliOptions.FilePath("--results", "A result JSON written by 'classify' (or by the reference program).", required: true, "-r");
        var labels = LabelsOption();
        var model = ModelOption();
        var format = CliOptions.Choice("--format", "How the numbers are printed: text, json or csv.", "text", AccuracyFormats.Names);
        var html = CliOptions.FilePath("--html", "Also write a self-contained HTML report (accuracy, per-class bars, confusion matrix, stage times) to this file.");
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
            string? htmlPath = parse.GetValue(html);
            string?[] read = [resultsPath, labelsPath, parse.GetValue(model)];
            if (htmlPath is not null)
            {
                OutputFile.Require(htmlPath, "--html", read); // before the work, so nothing is computed in vain
            }

            ReportRun run = Evaluate(resultsPath, truth, names);
            stdout.Write(AccuracyFormats.Format(run.Accuracy, parse.GetValue(format)!));
            if (htmlPath is not null)
            {
                HtmlReport.Write(htmlPath, "--html", read, $"simclrv2 eval: {Path.GetFileName(resultsPath)}", [run], Thumbnails.For(labelsPath));
                stderr.WriteLine($"report: {htmlPath}");
            }

            return 0;
        }));
        return command;
    }

    public static Command CreateReport(TextWriter stdout, TextWriter stderr)
    {
        var files = CliOptions.NonEmptyPaths(new Argument<string[]>("results") { Description = "One or more result files of the same inputs (e.g. an FP32 and an INT8 model's); the first two are compared.", Arity = ArgumentArity.OneOrMore });
        var labels = LabelsOption();
        var model = ModelOption();
        var output = CliOptions.FilePath("--output", "The HTML file. Default: results/report.html.", aliases: "-o");
        var command = new Command("report", "Write one self-contained HTML report of result files: accuracy, per-class bars, confusion matrices, stage times and, for two files, where they disagree.")
        {
            files, labels, model, output,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            IReadOnlyList<string> names = ClassNames(parse.GetValue(model));
            string labelsPath = parse.GetValue(labels)!;
            IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(labelsPath, names);
            string path = parse.GetValue(output) ?? Path.Combine("results", "report.html");
            string?[] read = [.. parse.GetValue(files)!, labelsPath, parse.GetValue(model)];
            OutputFile.Require(path, "--output", read);
            ReportRun[] runs = [.. parse.GetValue(files)!.Select(f => Evaluate(f, truth, names))];
            HtmlReport.Write(path, "--output", read, "simclrv2 report: " + string.Join(" vs ", runs.Select(r => r.Name)), runs, Thumbnails.For(labelsPath));
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
        CliOptions.FilePath("--labels", "Ground truth: a CIFAR-10 'test_batch' pickle, 'test_batch.bin', or a folder with one sub-folder per class.", required: true, "-l");

    private static Option<string> ModelOption() =>
        CliOptions.FilePath("--model", "The model whose manifest names the classes. Default: the shipped model (CIFAR-10 classes).", aliases: "-m");

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
