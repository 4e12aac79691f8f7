using System.CommandLine;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary><c>simclrv2 eval</c>: accuracy of a result file, matched to labels by file name.</summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var results = new Option<string>("--results", "-r") { Description = "A result JSON written by 'classify' (or by the reference program).", Required = true };
        var labels = new Option<string>("--labels", "-l") { Description = "Ground truth: a CIFAR-10 'test_batch' pickle, 'test_batch.bin', or a folder with one sub-folder per class.", Required = true };
        var model = new Option<string>("--model", "-m") { Description = "The model whose manifest names the classes. Default: the shipped model (CIFAR-10 classes)." };
        var command = new Command("eval", "Print accuracy (3 decimals), per-class accuracy and the confusion matrix of a result file.")
        {
            results, labels, model,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            IReadOnlyList<string> names = ModelManifest.TryLoadFor(parse.GetValue(model) ?? CliDefaults.ModelPath)?.Labels ?? CliDefaults.Cifar10Labels;
            IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(parse.GetValue(labels)!, names);
            AccuracyReport report = Evaluation.Evaluate(PredictionJson.Read(parse.GetValue(results)!), truth, names);
            if (report.Evaluated == 0)
            {
                throw new InvalidDataException("No result entry matches a labelled image by file name; check that the results and the labels come from the same data.");
            }

            stdout.Write(report.Format());
            return 0;
        }));
        return command;
    }
}
