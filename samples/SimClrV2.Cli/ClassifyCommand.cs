using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SimClrV2.Sophon.Decode;
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

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var input = new Option<string[]>("--input", "-i")
        {
            Description = "Image file, folder (recursive), CIFAR-10 'test_batch' pickle or 'test_batch.bin'; repeat for several. Default: the sample images shipped with the tool.",
            AllowMultipleArgumentsPerToken = true,
        };
        var model = new Option<string>("--model", "-m") { Description = "The .onnx model (its .manifest.json beside it configures it). Default: the shipped " + CliDefaults.ModelFileName + "." };
        var batch = new Option<int>("--batch", "-b") { Description = "Batch size for dynamic-batch models.", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--output", "-o") { Description = "The result JSON. Default: results/<model file>_<input name>_cpu_onnxruntime_result.json." };
        var topK = new Option<int>("--top-k", "-k") { Description = "Classes listed per prediction.", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads per run (0: one per core).", DefaultValueFactory = _ => 0 };
        var decodeThreads = new Option<int>("--decode-threads") { Description = "Threads decoding images ahead of preprocessing (0: one per processor).", DefaultValueFactory = _ => 0 };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Do not print each prediction." };
        var bmodel = new Option<string>("--bmodel") { Description = "Run on a SOPHON TPU with this .bmodel instead of ONNX Runtime (its .manifest.json beside it configures it)." };
        var devId = new Option<int>("--dev-id", "--dev_id") { Description = "SOPHON device id (with --bmodel).", DefaultValueFactory = _ => 0 };
        var preprocess = new Option<string>("--preprocess") { Description = "Where preprocessing runs with --bmodel: cpu (SIMD), bmcv (on the device), or jpeg (bmcv, and JPEGs decoded on the device's JPU).", DefaultValueFactory = _ => "cpu" };
        preprocess.AcceptOnlyFromAmong("cpu", "bmcv", "jpeg");
        var referenceNames = new Option<bool>("--reference-names") { Description = "Name the default result file as the reference program does: results/<model file>_<input name>_opencv_python_result.json." };
        var sophonLib = new Option<string>("--sophon-lib") { Description = $"Folder holding libsophon (default: ${SophonLibrary.DirectoryVariable}, then {SophonLibrary.DefaultDirectory}, then the system loader)." };
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > MaxBatch) { r.AddError($"--batch must be 1..{MaxBatch}."); } });
        topK.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--top-k must be at least 1."); } });
        devId.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--dev-id must be 0 or more."); } });
        threads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0 || r.GetValueOrDefault<int>() > Environment.ProcessorCount)
            {
                r.AddError($"--threads must be 0 (one per processor) to {Environment.ProcessorCount} (this machine's processors).");
            }
        });

        decodeThreads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 256)
            {
                r.AddError("--decode-threads must be 0 (one per processor) to 256.");
            }
        });

        var command = new Command("classify", "Classify images and write the reference's result JSON and timing block.")
        {
            input, model, batch, output, topK, threads, decodeThreads, quiet, bmodel, devId, preprocess, sophonLib, referenceNames,
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

            using ImageClassifier classifier = bmodelPath is null
                ? OnnxImageClassifier.Create(new OnnxClassifierOptions
                {
                    ModelPath = modelPath,
                    BatchSize = parse.GetValue(batch),
                    TopK = parse.GetValue(topK),
                    IntraOpNumThreads = parse.GetValue(threads),
                    DecodeThreads = parse.GetValue(decodeThreads),
                })
                : SophonImageClassifier.Create(new SophonClassifierOptions
                {
                    ModelPath = bmodelPath,
                    DeviceId = parse.GetValue(devId),
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
                parse.GetValue(referenceNames));
        }));
        return command;
    }

    private static int Run(TextWriter stdout, TextWriter stderr, ImageClassifier classifier, string modelPath, string[] inputPaths, string? outputPath, bool quiet, bool referenceNames)
    {
        List<ImageInput> inputs = ReadInputs(stderr, inputPaths, classifier.Labels);
        if (inputs.Count == 0)
        {
            throw new InvalidDataException($"No images found in {string.Join(", ", inputPaths.Select(p => $"'{p}'"))}; image files need one of the extensions {string.Join(" ", ImageInputs.ImageExtensions)}.");
        }

        string inputName = inputPaths.Length == 1 ? Path.GetFileName(Path.TrimEndingDirectorySeparator(inputPaths[0])) : "inputs";
        string suffix = referenceNames ? "opencv_python" : $"{classifier.PreprocessorName}_{classifier.EngineName}";
        string resultPath = outputPath ?? Path.Combine("results", $"{Path.GetFileName(modelPath)}_{inputName}_{suffix}_result.json");
        PredictionJson.EnsureOutputIsNotAnInput(resultPath, inputs, modelPath, ModelManifest.PathFor(modelPath));

        var clock = Stopwatch.StartNew();
        IReadOnlyList<Prediction> predictions;
        using (var progress = new ProgressBar(stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected))
        {
            predictions = classifier.Classify(inputs, progress);
        }

        clock.Stop();
        PredictionJson.Write(resultPath, predictions);

        if (!quiet)
        {
            foreach (Prediction p in predictions.Take(PrintLimit))
            {
                string source = ConsoleText.Printable(p.Source);
                stdout.WriteLine(p.Succeeded
                    ? string.Create(CultureInfo.InvariantCulture, $"{source,-28} {ConsoleText.Printable(p.Label),-12} {p.Score:F4}")
                    : $"{source,-28} ERROR        {ConsoleText.Printable(p.Error)}");
            }

            if (predictions.Count > PrintLimit)
            {
                stdout.WriteLine($"... {predictions.Count - PrintLimit} more in {resultPath}");
            }
        }

        int failed = predictions.Count(p => !p.Succeeded);
        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"classified {predictions.Count} images ({failed} failed) in {clock.Elapsed.TotalSeconds:F2} s, {predictions.Count / clock.Elapsed.TotalSeconds:F0} images/s, batch {classifier.BatchSize}, preprocessing {classifier.PreprocessorName}, engine {classifier.EngineName}; results: {resultPath}; stage times below: ms per image (the reference printed a batch-4 model's per batch)"));
        stdout.WriteLine(StageTimings.Average(predictions).ToReferenceBlock());
        return failed == predictions.Count ? CliErrors.Failure : 0;
    }

    /// <summary>
    /// The inputs of every path, in order. A path that cannot be read (missing, not a regular file,
    /// a damaged CIFAR file) becomes one error entry and a warning, so the other paths still run;
    /// only when no path can be read is it an error.
    /// </summary>
    private static List<ImageInput> ReadInputs(TextWriter stderr, string[] paths, IReadOnlyList<string> labels)
    {
        var inputs = new List<ImageInput>();
        var warnings = new List<string>();
        Exception? firstFailure = null;
        int failed = 0;
        foreach (string path in paths)
        {
            try
            {
                inputs.AddRange(ImageInputs.FromPath(path, labels));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException or IOException)
            {
                firstFailure ??= ex;
                failed++;
                warnings.Add($"warning: {ConsoleText.Printable(ex.Message)}");
                inputs.Add(ImageInput.FromError(path, ex));
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
