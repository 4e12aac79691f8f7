using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Cli;

/// <summary>
/// <c>simclrv2 bench</c>: runs the whole pipeline on a data set for one or more models and prints
/// the reference README's two tables (calculate time per model; decode/preprocess/inference/
/// postprocess per image per model) plus throughput and the pipelined wall time per image.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Option<string>("--input", "-i") { Description = "The data set: a CIFAR-10 pickle/.bin or an image folder. Default: the shipped photos." };
        var models = new Option<string[]>("--model", "-m") { Description = "ONNX models (ONNX Runtime on the CPU); repeat for several.", AllowMultipleArgumentsPerToken = true };
        var bmodels = new Option<string[]>("--bmodel") { Description = "bmodels (SOPHON); repeat for several.", AllowMultipleArgumentsPerToken = true };
        var emulated = new Option<string>("--bmodel-dir") { Description = "A folder of .bmodel files to run, e.g. the six from 'simclrv2 emulate'." };
        var sophonLib = new Option<string>("--sophon-lib") { Description = "Folder holding libsophon (or the emulator)." };
        var devId = new Option<int>("--dev-id") { Description = "SOPHON device id.", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "Images to run (0: all).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Batch size for dynamic ONNX models.", DefaultValueFactory = _ => 4 };
        count.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--count must be 0 or more."); } });
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch must be at least 1."); } });
        var command = new Command("bench", "Print the reference's timing tables (calculate time; per-stage ms per image) for one or more models on a data set.")
        {
            input, models, bmodels, emulated, sophonLib, devId, count, batch,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            var runs = new List<(string Name, Func<ImageClassifier> Create)>();
            foreach (string m in parse.GetValue(models) ?? [])
            {
                runs.Add((Path.GetFileName(m), () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = m, BatchSize = parse.GetValue(batch) })));
            }

            string[] bmodelPaths = [.. parse.GetValue(bmodels) ?? [], .. BModelsIn(parse.GetValue(emulated))];
            var library = new SophonLibraryOptions { SearchDirectory = parse.GetValue(sophonLib) };
            foreach (string b in bmodelPaths)
            {
                runs.Add((Path.GetFileNameWithoutExtension(b), () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = b, DeviceId = parse.GetValue(devId), Library = library })));
            }

            if (runs.Count == 0)
            {
                runs.Add((CliDefaults.ModelFileName, () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = CliDefaults.ModelPath, BatchSize = parse.GetValue(batch) })));
            }

            string inputPath = parse.GetValue(input) ?? CliDefaults.ImagesPath;
            IReadOnlyList<ImageInput> all = ImageInputs.FromPath(inputPath);
            int n = parse.GetValue(count) is > 0 and int c ? Math.Min(c, all.Count) : all.Count;
            List<ImageInput> inputs = all.Take(n).ToList();
            var rows = new List<Row>();
            foreach ((string name, Func<ImageClassifier> create) in runs)
            {
                using ImageClassifier classifier = create();
                classifier.Classify(inputs.Take(Math.Min(inputs.Count, 256)).ToList()); // warm-up: JIT tiering, pools, device buffers
                var clock = Stopwatch.StartNew();
                IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);
                clock.Stop();
                rows.Add(new Row(name, classifier.EngineName, classifier.BatchSize, StageTimings.Average(predictions), clock.Elapsed.TotalMilliseconds / inputs.Count, predictions.Count(p => !p.Succeeded)));
                stderr.WriteLine($"{name}: {inputs.Count} images in {clock.Elapsed.TotalSeconds:F2} s");
            }

            Print(stdout, rows, inputPath, inputs.Count);
            return rows.Any(r => r.Failed > 0) ? CliErrors.Failure : 0;
        }));
        return command;
    }

    private static IEnumerable<string> BModelsIn(string? folder) =>
        folder is null ? [] : Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.bmodel").Order(StringComparer.Ordinal)
            : throw new DirectoryNotFoundException($"bmodel folder '{folder}' does not exist; make the emulated variants with 'simclrv2 emulate'.");

    private static void Print(TextWriter o, List<Row> rows, string input, int count)
    {
        IFormatProvider c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"{count} images from {Path.GetFileName(Path.TrimEndingDirectorySeparator(input))}; ms per image (batch models: the batch's time divided by its images)"));
        o.WriteLine();
        o.WriteLine("| model | engine | batch | calculate time (ms) |");
        o.WriteLine("|---|---|---|---|");
        foreach (Row r in rows)
        {
            o.WriteLine(string.Create(c, $"| {r.Name} | {r.Engine} | {r.Batch} | {r.Timings.ComputeMs:F3} |"));
        }

        o.WriteLine();
        o.WriteLine("| model | decode | preprocess | inference | postprocess | wall (pipelined) | max stage | images/s |");
        o.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (Row r in rows)
        {
            StageTimings t = r.Timings;
            double maxStage = new[] { t.DecodeMs, t.PreprocessMs, t.InferenceMs, t.PostprocessMs }.Max();
            o.WriteLine(string.Create(c, $"| {r.Name} | {t.DecodeMs:F3} | {t.PreprocessMs:F3} | {t.InferenceMs:F3} | {t.PostprocessMs:F3} | {r.WallMs:F3} | {maxStage:F3} | {1000 / r.WallMs:F0} |"));
        }
    }

    private sealed record Row(string Name, string Engine, int Batch, StageTimings Timings, double WallMs, int Failed);
}
