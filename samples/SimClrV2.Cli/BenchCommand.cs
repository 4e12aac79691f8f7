using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli.Reports;
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
        var input = CliOptions.FilePath("--input", "The data set: a CIFAR-10 pickle/.bin or an image folder. Default: the shipped photos.", aliases: "-i");
        var models = CliOptions.FilePaths("--model", "ONNX models (ONNX Runtime on the CPU); repeat for several.", "-m");
        var bmodels = CliOptions.FilePaths("--bmodel", "bmodels (SOPHON); repeat for several.");
        var emulated = CliOptions.FilePath("--bmodel-dir", "A folder of .bmodel files to run, e.g. the six from 'simclrv2 emulate'.");
        var sophonLib = CliOptions.FilePath("--sophon-lib", "Folder holding libsophon (or the emulator).");
        var devId = CliOptions.Devices("SOPHON device id; with several, each device alone, then all as one pool, with the pool's throughput against the sum of the single devices'.");
        var count = CliOptions.Integer("--count", "Images to run (0: all).", 0, 0, int.MaxValue - 1);
        var batch = CliOptions.Integer("--batch", "Batch size for dynamic ONNX models.", 4, 1, 1024);
        var photos = CliOptions.Integer("--photos", "The photo suite: N camera-like 640x480 JPEGs made now from the shipped photos, run with one decode thread and full decode (the old path), all threads, and all threads with reduced JPEG decode.", 0, 0, 100_000);
        var keepPhotos = CliOptions.FilePath("--photo-folder", "With --photos: write the photos into this folder and keep them (for a side-by-side run of another pipeline on the same photos, benchmarks/reference/compare_photos.sh). Default: a temporary folder, deleted after.");
        var decodeThreads = CliOptions.Integer("--decode-threads", "Decode threads (0: one per processor).", 0, 0, 256);
        var layout = CliOptions.Choice("--layout", "Table layout: ours (more columns, 3 decimals) or reference (the reference README's columns, 2 decimals, BM1684X/<name>.bmodel).", "ours", "ours", "reference");
        var outputDir = CliOptions.FilePath("--output-dir", "Where bench.md and bench.html (the tables and a per-stage chart) are written. Default: results.");
        var command = new Command("bench", "Print the reference's timing tables (calculate time; per-stage ms per image) for one or more models on a data set.")
        {
            input, models, bmodels, emulated, sophonLib, devId, count, batch, photos, keepPhotos, decodeThreads, layout, outputDir,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            int photoCount = parse.GetValue(photos);
            int threads = parse.GetValue(decodeThreads);
            // The outputs are checked before the work, so nothing is computed in vain.
            string folder = parse.GetValue(outputDir) ?? "results";
            string markdownPath = Path.Combine(folder, "bench.md"), htmlPath = Path.Combine(folder, "bench.html");
            string?[] read = [parse.GetValue(input), .. parse.GetValue(models) ?? [], .. parse.GetValue(bmodels) ?? []];
            ReportFiles.RequireFolder(folder, "--output-dir");
            OutputFile.Require(markdownPath, "--output-dir", read);
            OutputFile.Require(htmlPath, "--output-dir", read);
            string? kept = parse.GetValue(keepPhotos);
            if (kept is not null)
            {
                ReportFiles.RequireFolder(kept, "--photo-folder");
            }

            DirectoryInfo? photoFolder = photoCount == 0 ? null : kept is not null ? Directory.CreateDirectory(kept) : Directory.CreateTempSubdirectory("simclrv2-photos-");
            try
            {
                (IReadOnlyList<BenchRow> rows, string header) = Bench(parse, stderr, models, bmodels, emulated, sophonLib, devId, count, batch, input, threads, photoCount, photoFolder?.FullName);
                bool reference = parse.GetValue(layout) == "reference";
                string markdown = BenchTables.Markdown(rows, header, reference);
                stdout.Write(markdown);
                ReportFiles.WriteText(markdownPath, "--output-dir", read, markdown);
                ReportFiles.WriteText(htmlPath, "--output-dir", read, BenchTables.Html(rows, header, reference));
                stderr.WriteLine($"tables: {markdownPath}, report: {htmlPath}");
                return rows.Any(r => r.Failed > 0) ? CliErrors.Failure : 0;
            }
            finally
            {
                if (kept is null)
                {
                    photoFolder?.Delete(recursive: true);
                }
            }
        }));
        return command;
    }

    private static (IReadOnlyList<BenchRow> Rows, string Header) Bench(
        ParseResult parse, TextWriter stderr, Option<string[]> models, Option<string[]> bmodels, Option<string> emulated, Option<string> sophonLib,
        Option<int[]> devId, Option<int> count, Option<int> batch, Option<string> input, int threads, int photoCount, string? photoFolder)
    {
        // Decode configurations: the default one; for the photo suite, side by side in one run, the
        // path before the photo work (one decode thread, ImageSharp's full decode, ONNX Runtime's
        // threads spinning between runs), then one and all decode threads with full decode
        // (libturbojpeg when installed), and reduced decode.
        (string Suffix, DecodeOptions Decode, int Threads, bool Spin)[] decodes = photoCount > 0
            ? [(" [old path: 1 thread, ImageSharp full decode, spinning]", SimClrV2.Sophon.TestSupport.DecodePaths.ImageSharpOnly(DecodeOptions.Default), 1, true),
               (" [1 thread, full decode]", new DecodeOptions { ReducedJpegDecode = false }, 1, false),
               (" [all threads, full decode]", new DecodeOptions { ReducedJpegDecode = false }, threads, false),
               (" [all threads, reduced decode (default)]", DecodeOptions.Default, threads, false),
               (" [all threads, reduced decode, oversample 4]", new DecodeOptions { ReducedJpegOversample = 4 }, threads, false)]
            : [(string.Empty, DecodeOptions.Default, threads, false)];
        var runs = new List<(string Name, bool IsBModel, int[] Devices, Func<ImageClassifier> Create)>();
        int[] devices = parse.GetValue(devId)!;
        int[][] deviceSets = devices.Length == 1 ? [devices] : [.. devices.Select(d => new[] { d }), devices];
        foreach ((string suffix, DecodeOptions decode, int t, bool spin) in decodes)
        {
            foreach (string m in parse.GetValue(models) ?? [])
            {
                runs.Add((Path.GetFileName(m) + suffix, false, [], () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = m, BatchSize = parse.GetValue(batch), Decode = decode, DecodeThreads = t, AllowSpinning = spin })));
            }

            string[] bmodelPaths = [.. parse.GetValue(bmodels) ?? [], .. BModelsIn(parse.GetValue(emulated))];
            var library = new SophonLibraryOptions { SearchDirectory = parse.GetValue(sophonLib) };
            foreach (string b in bmodelPaths)
            {
                foreach (int[] set in deviceSets)
                {
                    string on = devices.Length == 1 ? string.Empty : $" [dev {string.Join(",", set)}]";
                    runs.Add((Path.GetFileNameWithoutExtension(b) + on + suffix, true, set, () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = b, DeviceIds = set, Library = library, Decode = decode, DecodeThreads = t })));
                }

                if (photoCount > 0)
                {
                    runs.Add((Path.GetFileNameWithoutExtension(b) + " bmcv" + suffix, true, devices, () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = b, DeviceIds = devices, Library = library, Decode = decode, DecodeThreads = t, Preprocess = PreprocessBackend.Bmcv })));
                    runs.Add((Path.GetFileNameWithoutExtension(b) + " device JPEG" + suffix, true, devices, () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = b, DeviceIds = devices, Library = library, Decode = decode, DecodeThreads = t, Preprocess = PreprocessBackend.DeviceJpeg })));
                }
            }

            if ((parse.GetValue(models) ?? []).Length == 0 && bmodelPaths.Length == 0)
            {
                runs.Add((CliDefaults.ModelFileName + suffix, false, [], () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = CliDefaults.ModelPath, BatchSize = parse.GetValue(batch), Decode = decode, DecodeThreads = t, AllowSpinning = spin })));
            }
        }

        if (photoFolder is not null)
        {
            PhotoSet.Write(CliDefaults.ImagesPath, photoFolder, photoCount);
        }

        string inputPath = photoFolder ?? parse.GetValue(input) ?? CliDefaults.ImagesPath;
        var skipped = new List<string>();
        IReadOnlyList<ImageInput> all = ImageInputs.FromPath(inputPath, null, skipped);
        if (skipped.Count > 0)
        {
            stderr.WriteLine(ConsoleText.SkippedSummary(skipped));
        }

        int n = parse.GetValue(count) is > 0 and int c ? Math.Min(c, all.Count) : all.Count;
        List<ImageInput> inputs = all.Take(n).ToList();
        var rows = new List<BenchRow>();
        foreach ((string name, bool isBModel, int[] runDevices, Func<ImageClassifier> create) in runs)
        {
            using ImageClassifier classifier = create();
            classifier.Classify(inputs.Take(Math.Min(inputs.Count, 256)).ToList()); // warm-up: JIT tiering, pools, device buffers
            var clock = Stopwatch.StartNew();
            IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);
            clock.Stop();
            Prediction[] labelled = [.. predictions.Where(p => p.ExpectedClassIndex is >= 0)];
            double? accuracy = labelled.Length == 0 ? null : 100.0 * labelled.Count(p => p.ClassIndex == p.ExpectedClassIndex) / labelled.Length;
            rows.Add(new BenchRow(name, classifier.EngineName, classifier.BatchSize, isBModel, StageTimings.Average(predictions), clock.Elapsed.TotalMilliseconds / inputs.Count, predictions.Count(p => !p.Succeeded), accuracy) { Devices = runDevices });
            stderr.WriteLine($"{name}: {ConsoleText.Count(inputs.Count, "image")} in {clock.Elapsed.TotalSeconds:F2} s");
        }

        string source = photoFolder is null ? Path.GetFileName(Path.TrimEndingDirectorySeparator(inputPath)) : "photos (640x480 JPEG, q90)";
        return (rows, BenchTables.Header(source, inputs.Count));
    }

    private static IEnumerable<string> BModelsIn(string? folder) =>
        folder is null ? [] : Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.bmodel").Order(StringComparer.Ordinal)
            : throw new DirectoryNotFoundException($"bmodel folder '{folder}' does not exist; make the emulated variants with 'simclrv2 emulate'.");

}
