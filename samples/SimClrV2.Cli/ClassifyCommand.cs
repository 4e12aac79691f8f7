using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Cli;

/// <summary><c>simclrv2 classify</c>: the reference program's job, on ONNX Runtime.</summary>
internal static class ClassifyCommand
{
    private const int PrintLimit = 20;
    private const int MaxBatch = 1024;
    private const int MaxTopK = 10_000;
    private const int MaxDecodeThreads = 256;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = CliOptions.FilePaths("--input", "Image file, folder (recursive), CIFAR-10 'test_batch' pickle or 'test_batch.bin'; repeat for several. Default: the sample images shipped with the tool.", "-i");
        var model = CliOptions.FilePath("--model", "The .onnx model (its .manifest.json beside it configures it). Default: the shipped " + CliDefaults.ModelFileName + ".", aliases: "-m");
        var batch = CliOptions.Integer("--batch", "Batch size for dynamic-batch models.", 4, 1, MaxBatch, aliases: "-b");
        var output = CliOptions.FilePath("--output", "The result JSON ('-': standard output, and no listing). Default: results/<model file>_<input name>_cpu_onnxruntime_result.json.", aliases: "-o");
        var topK = CliOptions.Integer("--top-k", "Classes listed per prediction.", 5, 1, MaxTopK, aliases: "-k");
        var threads = CliOptions.Integer("--threads", "ONNX Runtime threads per run (0: one per core).", 0, 0, Environment.ProcessorCount, $"0 (one per processor) to {Environment.ProcessorCount} (this machine's processors)");
        var decodeThreads = CliOptions.Integer("--decode-threads", "Threads decoding images ahead of preprocessing (0: one per processor).", 0, 0, MaxDecodeThreads);
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not print each prediction." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also list the files a folder holds that are not images of a type the tool reads (they are counted either way), and the JIT's share of the run." };
        var bmodel = CliOptions.FilePath("--bmodel", "Run on a SOPHON TPU with this .bmodel instead of ONNX Runtime (its .manifest.json beside it configures it).");
        var devId = CliOptions.Devices("SOPHON device id (with --bmodel); several run as one pool.");
        var preprocess = CliOptions.Choice("--preprocess", "Where preprocessing runs with --bmodel: cpu (SIMD), bmcv (on the device), or jpeg (bmcv, and JPEGs decoded on the device's JPU).", "cpu", "cpu", "bmcv", "jpeg");
        var referenceNames = new Option<bool>("--reference-names") { Description = "Name the default result file as the reference program does: results/<model file>_<input name>_opencv_python_result.json." };
        var sophonLib = CliOptions.FilePath("--sophon-lib", $"Folder holding libsophon (default: ${SophonLibrary.DirectoryVariable}, then {SophonLibrary.DefaultDirectory}, then the system loader).");
        var knnIndex = CliOptions.FilePath("--knn", "Classify with this kNN index (from 'simclrv2 index') instead of the model's linear head; each result gets \"similarity\", the best similarity to the index's images (low: unlike anything in it).");

        var command = new Command("classify", "Classify images and write the reference's result JSON and timing block.")
        {
            input, model, batch, output, topK, threads, decodeThreads, quiet, verbose, bmodel, devId, preprocess, sophonLib, referenceNames, knnIndex,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            string? bmodelPath = parse.GetValue(bmodel);
            string modelPath = bmodelPath ?? parse.GetValue(model) ?? CliDefaults.ModelPath;
            string backend = parse.GetValue(preprocess)!;
            bool bmcv = backend != "cpu";
            if (bmcv && bmodelPath is null)
            {
                throw new ArgumentException($"--preprocess {backend} runs on a SOPHON device; give --bmodel too (ONNX Runtime uses CPU preprocessing).");
            }

            if (bmodelPath is not null && parse.GetResult(batch) is { Implicit: false })
            {
                throw new ArgumentException("--batch does not apply with --bmodel: a bmodel's batch sizes are fixed when it is compiled (its stages; see 'simclrv2 inspect'). Drop --batch, or compile a bmodel with the batch size you want.");
            }

            if (bmodelPath is not null && parse.GetResult(threads) is { Implicit: false })
            {
                throw new ArgumentException("--threads sets ONNX Runtime's threads and does not apply with --bmodel; drop it.");
            }

            if (File.Exists(modelPath) && !File.Exists(ModelManifest.PathFor(modelPath)))
            {
                stderr.WriteLine($"warning: model '{ConsoleText.Printable(modelPath)}' has no manifest (looked for '{ConsoleText.Printable(ModelManifest.PathFor(modelPath))}'): its classes are reported as numbers and its preprocessing is the CIFAR-10 convention; put the manifest beside the model.");
            }

            KnnClassifier? knn = parse.GetValue(knnIndex) is { } indexPath ? KnnClassifier.Load(indexPath) : null;
            if (knn?.Model is { } indexModel && (ModelManifest.TryLoadFor(modelPath)?.Name ?? Path.GetFileNameWithoutExtension(modelPath)) is { } name && indexModel != name)
            {
                throw new InvalidDataException($"The kNN index was built with model '{indexModel}', not '{name}': its similarities would mean nothing. Classify with that model, or rebuild the index with 'simclrv2 index'.");
            }

            using ImageClassifier classifier = bmodelPath is null
                ? OnnxImageClassifier.Create(new OnnxClassifierOptions
                {
                    KnnHead = knn,
                    ModelPath = modelPath,
                    BatchSize = parse.GetValue(batch),
                    TopK = parse.GetValue(topK),
                    IntraOpNumThreads = parse.GetValue(threads),
                    DecodeThreads = parse.GetValue(decodeThreads),
                })
                : SophonImageClassifier.Create(new SophonClassifierOptions
                {
                    KnnHead = knn,
                    ModelPath = bmodelPath,
                    DeviceIds = parse.GetValue(devId),
                    TopK = parse.GetValue(topK),
                    Library = new SophonLibraryOptions { SearchDirectory = parse.GetValue(sophonLib) },
                    Preprocess = backend switch { "bmcv" => PreprocessBackend.Bmcv, "jpeg" => PreprocessBackend.DeviceJpeg, _ => PreprocessBackend.Cpu },
                    DecodeThreads = parse.GetValue(decodeThreads),
                });
            return Run(
                stdout,
                stderr,
                classifier,
                modelPath,
                parse.GetValue(input) is { Length: > 0 } inputs ? inputs : [CliDefaults.ImagesPath],
                parse.GetValue(output),
                parse.GetValue(quiet),
                parse.GetValue(verbose),
                parse.GetValue(referenceNames),
                bmodelPath is null ? null : parse.GetValue(devId));
        }));
        return command;
    }

    private static int Run(TextWriter stdout, TextWriter stderr, ImageClassifier classifier, string modelPath, string[] inputPaths, string? outputPath, bool quiet, bool verbose, bool referenceNames, int[]? devices)
    {
        var skipped = new List<string>();
        List<ImageInput> inputs = ReadInputs(stderr, inputPaths, classifier.Labels, skipped);
        if (inputs.Count == 0)
        {
            throw new InvalidDataException($"No images found in {string.Join(", ", inputPaths.Select(p => $"'{p}'"))}; image files need one of the extensions {string.Join(" ", ImageInputs.ImageExtensions)}{(skipped.Count > 0 ? $" ({ConsoleText.SkippedSummary(skipped)})" : string.Empty)}.");
        }

        RequireDistinctNames(inputs);
        bool toStdout = outputPath == "-";
        string inputName = inputPaths.Length == 1 ? Path.GetFileName(Path.TrimEndingDirectorySeparator(inputPaths[0])) : "inputs";
        string suffix = referenceNames ? "opencv_python" : $"{classifier.PreprocessorName}_{classifier.EngineName}";
        string resultPath = toStdout ? "-" : outputPath ?? Path.Combine("results", $"{Path.GetFileName(modelPath)}_{inputName}_{suffix}_result.json");
        if (!toStdout)
        {
            OutputFile.Require(resultPath, "--output", [.. inputs.Select(i => i.SourceFile), modelPath, ModelManifest.PathFor(modelPath)]);
        }

        var clock = Stopwatch.StartNew();
        IReadOnlyList<Prediction> predictions;
        using (var progress = new ProgressBar(stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected))
        {
            predictions = classifier.Classify(inputs, progress);
        }

        clock.Stop();
        TextWriter report = stdout;
        if (toStdout)
        {
            // The JSON alone on standard output (for a pipe); the summary goes to standard error.
            using (var json = new MemoryStream())
            {
                PredictionJson.Write(json, predictions);
                stdout.WriteLine(System.Text.Encoding.UTF8.GetString(json.GetBuffer(), 0, (int)json.Length));
            }

            report = stderr;
            quiet = true;
        }
        else
        {
            PredictionJson.Write(resultPath, predictions);
        }

        if (!quiet)
        {
            foreach (Prediction p in predictions.Take(PrintLimit))
            {
                string source = ConsoleText.Printable(p.Source);
                stdout.WriteLine(p.Succeeded
                    ? string.Create(CultureInfo.InvariantCulture, $"{source,-28} {ConsoleText.Printable(p.Label),-12} {p.Score:F4}{(p.Similarity is { } s ? $"  similarity {s:F4}" : string.Empty)}")
                    : $"{source,-28} ERROR        {ConsoleText.Printable(p.Error)}");
            }

            if (predictions.Count > PrintLimit)
            {
                stdout.WriteLine($"... {predictions.Count - PrintLimit} more in {resultPath}");
            }
        }

        if (skipped.Count > 0)
        {
            stderr.WriteLine($"{ConsoleText.SkippedSummary(skipped)}{(verbose ? ":" : " (--verbose lists them)")}");
            if (verbose)
            {
                skipped.ForEach(f => stderr.WriteLine($"  skipped {ConsoleText.Printable(f)}"));
            }
        }

        int failed = predictions.Count(p => !p.Succeeded);
        report.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"classified {ConsoleText.Count(predictions.Count, "image")} ({failed} failed) in {clock.Elapsed.TotalSeconds:F2} s, {predictions.Count / clock.Elapsed.TotalSeconds:F0} images/s, batch {classifier.BatchSize}, preprocessing {classifier.PreprocessorName}, engine {classifier.EngineName}{(devices is null ? string.Empty : $" on {(devices.Length == 1 ? "device" : "devices")} {string.Join(",", devices)}")}; results: {(toStdout ? "standard output" : resultPath)}; stage times below: ms per image (the reference printed a batch-4 model's per batch)"));
        report.WriteLine(ConsoleText.ReferenceTimings(StageTimings.Average(predictions)));
        if (verbose)
        {
            // How much of the run the JIT took: what ReadyToRun packages save.
            double cpu = Environment.CpuUsage.TotalTime.TotalMilliseconds, jit = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds;
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"jit: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {jit:F0} ms, {100 * jit / Math.Max(cpu, 1):F1} % of the process's {cpu:F0} ms CPU time"));
        }

        return failed == predictions.Count ? CliErrors.Failure : 0;
    }

    /// <summary>
    /// Results are matched by name, so two inputs named alike (two --input folders holding the same
    /// relative path, the same file given twice) are refused before the run, naming both.
    /// </summary>
    private static void RequireDistinctNames(List<ImageInput> inputs)
    {
        var first = new Dictionary<string, ImageInput>(StringComparer.Ordinal);
        foreach (ImageInput input in inputs)
        {
            if (!first.TryAdd(input.Name, input))
            {
                ImageInput other = first[input.Name];
                throw new ArgumentException($"two inputs would both be named '{ConsoleText.Printable(input.Name)}' in the results ('{ConsoleText.Printable(other.SourceFile ?? other.Name)}' and '{ConsoleText.Printable(input.SourceFile ?? input.Name)}'), which match results by name; classify them in separate runs or give their common parent folder as --input.");
            }
        }
    }

    /// <summary>
    /// The inputs of every path, in order. A path that cannot be read (missing, not a regular file,
    /// a damaged CIFAR file) becomes one error entry named as an existing one would be and a
    /// warning, so the other paths still run; only when no path can be read is it an error. Files a
    /// folder holds that are not images go to <paramref name="skipped"/>.
    /// </summary>
    private static List<ImageInput> ReadInputs(TextWriter stderr, string[] paths, IReadOnlyList<string> labels, List<string> skipped)
    {
        var inputs = new List<ImageInput>();
        var warnings = new List<string>();
        Exception? firstFailure = null;
        int failed = 0;
        foreach (string path in paths)
        {
            try
            {
                inputs.AddRange(ImageInputs.FromPath(path, labels, skipped));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException or IOException)
            {
                firstFailure ??= ex;
                failed++;
                warnings.Add($"warning: {ConsoleText.Printable(ex.Message)}");
                inputs.Add(ImageInput.FromError(Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) is { Length: > 0 } name ? name : path, ex)); // named as an existing file would be
            }
        }

        if (failed == paths.Length && firstFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
        }

        warnings.ForEach(stderr.WriteLine);
        return inputs;
    }
}
