using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
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
        var input = new Option<string>("--input", "-i") { Description = "The data set: a CIFAR-10 pickle/.bin or an image folder. Default: the shipped photos." };
        var models = new Option<string[]>("--model", "-m") { Description = "ONNX models (ONNX Runtime on the CPU); repeat for several.", AllowMultipleArgumentsPerToken = true };
        var bmodels = new Option<string[]>("--bmodel") { Description = "bmodels (SOPHON); repeat for several.", AllowMultipleArgumentsPerToken = true };
        var emulated = new Option<string>("--bmodel-dir") { Description = "A folder of .bmodel files to run, e.g. the six from 'simclrv2 emulate'." };
        var sophonLib = new Option<string>("--sophon-lib") { Description = "Folder holding libsophon (or the emulator)." };
        var devId = new Option<string>("--dev-id", "--dev_id") { Description = "SOPHON device id, or several (0,1,2,3): each device alone, then all as one pool, with the pool's throughput against the sum of the single devices'.", DefaultValueFactory = _ => "0" };
        devId.Validators.Add(r => { if (DeviceList(r.GetValueOrDefault<string>()) is null) { r.AddError("--dev-id must be a device id or distinct ids separated by commas (0,1,2,3)."); } });
        var count = new Option<int>("--count") { Description = "Images to run (0: all).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Batch size for dynamic ONNX models.", DefaultValueFactory = _ => 4 };
        var photos = new Option<int>("--photos") { Description = "The photo suite: N camera-like 640x480 JPEGs made now from the shipped photos, run with one decode thread and full decode (the old path), all threads, and all threads with reduced JPEG decode.", DefaultValueFactory = _ => 0 };
        var decodeThreads = new Option<int>("--decode-threads") { Description = "Decode threads (0: one per processor).", DefaultValueFactory = _ => 0 };
        var layout = new Option<string>("--layout") { Description = "Table layout: ours (default: more columns, 3 decimals) or reference (the reference README's columns, 2 decimals, BM1684X/<name>.bmodel).", DefaultValueFactory = _ => "ours" };
        layout.AcceptOnlyFromAmong("ours", "reference");
        var outputDir = new Option<string>("--output-dir") { Description = "Where bench.md and bench.html (the tables and a per-stage chart) are written.", DefaultValueFactory = _ => "results" };
        count.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--count must be 0 or more."); } });
        photos.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 100_000) { r.AddError("--photos must be 0..100000."); } });
        decodeThreads.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 256) { r.AddError("--decode-threads must be 0..256."); } });
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch must be at least 1."); } });
        var command = new Command("bench", "Print the reference's timing tables (calculate time; per-stage ms per image) for one or more models on a data set.")
        {
            input, models, bmodels, emulated, sophonLib, devId, count, batch, photos, decodeThreads, layout, outputDir,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            int photoCount = parse.GetValue(photos);
            int threads = parse.GetValue(decodeThreads);
            DirectoryInfo? photoFolder = photoCount > 0 ? Directory.CreateTempSubdirectory("simclrv2-photos-") : null;
            try
            {
                (IReadOnlyList<BenchRow> rows, string header) = Bench(parse, stderr, models, bmodels, emulated, sophonLib, devId, count, batch, input, threads, photoCount, photoFolder?.FullName);
                bool reference = parse.GetValue(layout) == "reference";
                string markdown = BenchTables.Markdown(rows, header, reference);
                stdout.Write(markdown);
                string folder = parse.GetValue(outputDir)!;
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "bench.md"), markdown);
                File.WriteAllText(Path.Combine(folder, "bench.html"), BenchTables.Html(rows, header, reference));
                stderr.WriteLine($"tables: {Path.Combine(folder, "bench.md")}, report: {Path.Combine(folder, "bench.html")}");
                return rows.Any(r => r.Failed > 0) ? CliErrors.Failure : 0;
            }
            finally
            {
                photoFolder?.Delete(recursive: true);
            }
        }));
        return command;
    }

    private static (IReadOnlyList<BenchRow> Rows, string Header) Bench(
        ParseResult parse, TextWriter stderr, Option<string[]> models, Option<string[]> bmodels, Option<string> emulated, Option<string> sophonLib,
        Option<string> devId, Option<int> count, Option<int> batch, Option<string> input, int threads, int photoCount, string? photoFolder)
    {
        // Decode configurations: the default one; for the photo suite, side by side in one run, the
        // path before the photo work (one decode thread, full decode, ONNX Runtime's threads spinning
        // between runs), then one and all decode threads with full decode, and reduced decode.
        (string Suffix, DecodeOptions Decode, int Threads, bool Spin)[] decodes = photoCount > 0
            ? [(" [old path: 1 thread, full decode, spinning]", DecodeOptions.Default with { ReducedJpegDecode = false }, 1, true),
               (" [1 thread, full decode]", DecodeOptions.Default with { ReducedJpegDecode = false }, 1, false),
               (" [all threads, full decode]", DecodeOptions.Default with { ReducedJpegDecode = false }, threads, false),
               (" [all threads, reduced decode (default)]", DecodeOptions.Default, threads, false),
               (" [all threads, reduced decode, oversample 4]", DecodeOptions.Default with { ReducedJpegOversample = 4 }, threads, false)]
            : [(string.Empty, DecodeOptions.Default, threads, false)];
        var runs = new List<(string Name, bool IsBModel, int[] Devices, Func<ImageClassifier> Create)>();
        int[] devices = DeviceList(parse.GetValue(devId))!;
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
        IReadOnlyList<ImageInput> all = ImageInputs.FromPath(inputPath);
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
            stderr.WriteLine($"{name}: {inputs.Count} images in {clock.Elapsed.TotalSeconds:F2} s");
        }

        string source = photoFolder is null ? Path.GetFileName(Path.TrimEndingDirectorySeparator(inputPath)) : "photos (640x480 JPEG, q90)";
        return (rows, BenchTables.Header(source, inputs.Count));
    }

    /// <summary>"0" or "0,1,2,3" as distinct non-negative ids; null when it is not that.</summary>
    internal static int[]? DeviceList(string? text)
    {
        string[] parts = (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        int[] ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
            {
                return null;
            }
        }

        return ids.Distinct().Count() == ids.Length ? ids : null;
    }

    private static IEnumerable<string> BModelsIn(string? folder) =>
        folder is null ? [] : Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.bmodel").Order(StringComparer.Ordinal)
            : throw new DirectoryNotFoundException($"bmodel folder '{folder}' does not exist; make the emulated variants with 'simclrv2 emulate'.");

}
