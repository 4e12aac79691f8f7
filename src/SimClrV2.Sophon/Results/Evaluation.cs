using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;

namespace SimClrV2.Sophon.Results;

/// <summary>Accuracy of a result file against ground truth, per class and as a confusion matrix.</summary>
public sealed class AccuracyReport
{
    internal AccuracyReport(IReadOnlyList<string> labels, int[,] confusion, int failed, int missing, int unmatched)
    {
        Labels = labels;
        Confusion = confusion;
        Failed = failed;
        Missing = missing;
        Unmatched = unmatched;
        for (int t = 0; t < labels.Count; t++)
        {
            for (int p = 0; p < labels.Count; p++)
            {
                Evaluated += confusion[t, p];
                Correct += t == p ? confusion[t, p] : 0;
            }
        }

        Evaluated += failed;
    }

    /// <summary>Class names, index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Counts by [true class, predicted class] (failed entries are not in it).</summary>
    public int[,] Confusion { get; }

    /// <summary>Entries matched to a ground-truth label (failed ones included, as wrong).</summary>
    public int Evaluated { get; }

    /// <summary>Correct predictions.</summary>
    public int Correct { get; }

    /// <summary>Matched entries whose input had failed (counted as wrong).</summary>
    public int Failed { get; }

    /// <summary>Ground-truth images with no entry in the results.</summary>
    public int Missing { get; }

    /// <summary>Result entries whose name has no ground truth.</summary>
    public int Unmatched { get; }

    /// <summary>Top-1 accuracy in percent over evaluated entries.</summary>
    public double AccuracyPercent => Evaluated == 0 ? 0 : 100.0 * Correct / Evaluated;

    /// <summary>Accuracy in percent of one true class.</summary>
    /// <param name="classIndex">The class.</param>
    /// <returns>Percent, or NaN when the class has no entries.</returns>
    public double ClassAccuracyPercent(int classIndex)
    {
        int total = 0;
        for (int p = 0; p < Labels.Count; p++)
        {
            total += Confusion[classIndex, p];
        }

        return total == 0 ? double.NaN : 100.0 * Confusion[classIndex, classIndex] / total;
    }

    /// <summary>The report as text: accuracy with 3 decimals, per-class accuracy, confusion matrix.</summary>
    /// <returns>The text.</returns>
    public string Format()
    {
        var sb = new StringBuilder();
        IFormatProvider c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"accuracy: {AccuracyPercent:F3}% ({Correct}/{Evaluated})");
        if (Failed + Missing + Unmatched > 0)
        {
            sb.AppendLine(c, $"failed inputs: {Failed}, images without a result: {Missing}, results without a label: {Unmatched}");
        }

        sb.AppendLine();
        sb.AppendLine("per class:");
        int width = Math.Max(10, Labels.Max(l => l.Length));
        for (int t = 0; t < Labels.Count; t++)
        {
            double accuracy = ClassAccuracyPercent(t);
            sb.AppendLine(c, $"  {Labels[t].PadRight(width)} {(double.IsNaN(accuracy) ? "n/a" : accuracy.ToString("F3", c) + "%"),8}");
        }

        sb.AppendLine();
        sb.AppendLine("confusion matrix (rows: true class, columns: predicted):");
        sb.Append(' ', width + 2);
        for (int p = 0; p < Labels.Count; p++)
        {
            sb.Append(c, $" {Abbreviate(Labels[p]),6}");
        }

        sb.AppendLine();
        for (int t = 0; t < Labels.Count; t++)
        {
            sb.Append(c, $"  {Labels[t].PadRight(width)}");
            for (int p = 0; p < Labels.Count; p++)
            {
                sb.Append(c, $" {Confusion[t, p],6}");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static string Abbreviate(string label) => label.Length <= 6 ? label : label[..6];
}

/// <summary>Evaluates result files against labels, matching entries by file name (not by position).</summary>
public static class Evaluation
{
    /// <summary>
    /// Ground truth (name → class) from a CIFAR-10 pickle, a CIFAR-10 binary file or a folder whose
    /// sub-folders are named after the classes.
    /// </summary>
    /// <param name="path">The labels source.</param>
    /// <param name="labels">Class names (for folders).</param>
    /// <returns>Name to class index.</returns>
    /// <exception cref="InvalidDataException">Two images share a name, or a folder holds no labelled image.</exception>
    public static IReadOnlyDictionary<string, int> LoadGroundTruth(string path, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        IEnumerable<(string Name, int Label)> pairs = ImageInputs.Detect(path) switch
        {
            InputKind.CifarPickle => Pairs(CifarDataset.ReadPickle(path)),
            InputKind.CifarBinary => Pairs(CifarDataset.ReadBinary(path)),
            InputKind.Folder => ImageInputs.FromFolder(path, labels).Where(i => i.LabelIndex is not null).Select(i => (i.Name, i.LabelIndex!.Value)),
            _ => throw new InvalidDataException($"'{path}' holds no labels; pass a CIFAR-10 'test_batch' pickle, a 'test_batch.bin' file or a folder with one sub-folder per class."),
        };
        var truth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string name, int label) in pairs)
        {
            if (!truth.TryAdd(name, label))
            {
                throw new InvalidDataException($"'{path}' has two images named '{name}'; results are matched by name, so names must be unique.");
            }
        }

        return truth.Count > 0
            ? truth
            : throw new InvalidDataException($"'{path}' holds no labelled images (for a folder, sub-folders must be named after the classes: {string.Join(", ", labels)}).");
    }

    /// <summary>
    /// Compares result entries with ground truth by name: a folder's images are named by their path
    /// relative to the folder (<c>cat/001.jpg</c>), CIFAR images by their CIFAR names. An entry named
    /// by its file name alone (a result file from the reference program, or from before names kept the
    /// folder) matches the one labelled image of that file name, when only one has it.
    /// </summary>
    /// <param name="results">The entries.</param>
    /// <param name="truth">Name to class index.</param>
    /// <param name="labels">Class names.</param>
    /// <returns>The report.</returns>
    public static AccuracyReport Evaluate(IEnumerable<PredictionRecord> results, IReadOnlyDictionary<string, int> truth, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(labels);
        int classes = labels.Count;
        var confusion = new int[classes, classes];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string?> byFileName = ByFileName(truth.Keys);
        int failed = 0, unmatched = 0;
        foreach (PredictionRecord r in results)
        {
            string? name = truth.ContainsKey(r.Filename) ? r.Filename
                : byFileName.TryGetValue(r.Filename, out string? only) ? only
                : truth.ContainsKey(Path.GetFileName(r.Filename)) ? Path.GetFileName(r.Filename)
                : null;
            if (name is null)
            {
                unmatched++;
                continue;
            }

            int expected = truth[name];
            if (!seen.Add(name))
            {
                throw new InvalidDataException($"The results list '{name}' twice.");
            }

            if (r.Error is not null || r.Prediction < 0 || r.Prediction >= classes || expected >= classes)
            {
                failed++;
                continue;
            }

            confusion[expected, r.Prediction]++;
        }

        return new AccuracyReport(labels, confusion, failed, truth.Count - seen.Count, unmatched);
    }

    /// <summary>Each file name of a relative path (<c>cat/001.jpg</c> gives <c>001.jpg</c>) to that path, or to null where two paths share it.</summary>
    private static Dictionary<string, string?> ByFileName(IEnumerable<string> names)
    {
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            int slash = name.LastIndexOf('/');
            if (slash >= 0)
            {
                string file = name[(slash + 1)..];
                map[file] = map.ContainsKey(file) ? null : name;
            }
        }

        return map;
    }

    private static IEnumerable<(string, int)> Pairs(CifarDataset data) =>
        Enumerable.Range(0, data.Count).Select(i => (data.Names[i], data.Labels[i]));
}
