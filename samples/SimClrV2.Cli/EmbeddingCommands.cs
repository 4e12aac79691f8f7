using System.CommandLine;
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

/// <summary>
/// <c>simclrv2 embed</c>, <c>index</c>, <c>knn</c> and <c>similar</c>: the model's representation
/// (the embedding output of the same run as the logits) as vectors, few-shot classes and
/// similarity search.
/// </summary>
internal static class EmbeddingCommands
{
    public static Command CreateEmbed(TextWriter stdout, TextWriter stderr)
    {
        var input = CliOptions.FilePaths("--input", "Image file, folder (recursive), CIFAR-10 'test_batch' pickle or 'test_batch.bin'; repeat for several.", "-i");
        input.Required = true;
        var output = CliOptions.FilePath("--output", "The .npy file: float32 [N, D], one L2-normalised row per input in order (a failed input is a row of zeros and is named on stderr); FILE.names.txt beside it lists the inputs' names.", required: true, "-o");
        var model = new ModelOptions();
        var command = new Command("embed", "Write the model's embedding of each input (the same run as classify) as a NumPy .npy matrix.") { input, output };
        model.AddTo(command);
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            string path = parse.GetValue(output)!;
            string names = NamesPath(path);
            string[] inputs = parse.GetValue(input)!;
            OutputFile.Require(path, "--output", inputs);
            OutputFile.Require(names, "--output", inputs);
            using ImageClassifier classifier = model.Create(parse);
            IReadOnlyList<ImageEmbedding> embeddings = classifier.Embed([.. inputs.SelectMany(p => ImageInputs.FromPath(p, classifier.Labels))]);
            int dimension = embeddings.FirstOrDefault(e => e.Succeeded)?.Vector.Length
                ?? throw new InvalidDataException("No input could be embedded; nothing was written.");
            var rows = new float[embeddings.Count * dimension];
            for (int i = 0; i < embeddings.Count; i++)
            {
                if (embeddings[i].Succeeded)
                {
                    embeddings[i].Vector.Span.CopyTo(rows.AsSpan(i * dimension, dimension));
                }
                else
                {
                    stderr.WriteLine($"warning: {ConsoleText.Printable(embeddings[i].Source)}: {ConsoleText.Printable(embeddings[i].Error)} (its row is zeros)");
                }
            }

            NumpyFile.Write(path, rows, embeddings.Count, dimension);
            OutputFile.Write(names, "--output", inputs, s =>
            {
                using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(false), bufferSize: -1, leaveOpen: true);
                embeddings.ToList().ForEach(e => writer.Write(e.Source + "\n"));
            });
            stdout.WriteLine($"embedded {ConsoleText.Count(embeddings.Count, "input")} ({embeddings.Count(e => !e.Succeeded)} failed) with '{classifier.EmbeddingName}' [{dimension}]: {path}, {names}");
            return embeddings.All(e => e.Succeeded) ? 0 : CliErrors.Failure;
        }));
        return command;
    }

    public static Command CreateIndex(TextWriter stdout, TextWriter stderr)
    {
        var input = CliOptions.FilePath("--input", "Labelled images: a CIFAR-10 file, or a folder with one sub-folder per class (the sub-folder names are the classes).", required: true, "-i");
        var output = CliOptions.FilePath("--output", "The kNN index file to write (versioned; it records the model, the embedding and the dimension).", required: true, "-o");
        var shots = CliOptions.Integer("--shots", "Keep this many random images per class (0: all).", 0, 0, 1_000_000);
        var seed = CliOptions.Integer("--seed", "Seed of the --shots draw (NumPy's: the images np.random.default_rng(seed).choice picks per class).", 0, 0, 1_000_000_000);
        var model = new ModelOptions();
        var command = new Command("index", "Build a kNN index (few-shot classes) from labelled images' embeddings.") { input, output, shots, seed };
        model.AddTo(command);
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            string path = parse.GetValue(output)!;
            OutputFile.Require(path, "--output", [parse.GetValue(input)]);
            using ImageClassifier classifier = model.Create(parse);
            LabelledSet set = LabelledSet.Embed(classifier, parse.GetValue(input)!, stderr);
            int[] rows = parse.GetValue(shots) is > 0 and int n ? set.Draw(n, new NumpyGenerator((ulong)parse.GetValue(seed))) : [.. Enumerable.Range(0, set.Count)];
            KnnClassifier knn = set.Build(rows, model.Name(parse));
            knn.Save(path);
            stdout.WriteLine($"index: {knn.Count} images of {knn.Classes.Count} classes, '{knn.EmbeddingName}' [{knn.Dimension}], model {knn.Model}: {path}");
            return 0;
        }));
        return command;
    }

    public static Command CreateKnn(TextWriter stdout, TextWriter stderr)
    {
        var support = CliOptions.FilePath("--support", "Labelled support images (a CIFAR-10 file, or a folder with one sub-folder per class).");
        var query = CliOptions.FilePath("--query", "Labelled query images, classified by the support set.");
        var input = CliOptions.FilePath("--input", "Labelled images split into support and query by --split.", aliases: "-i");
        var split = CliOptions.Choice("--split", "With --input: alternate (even positions support, odd positions query).", "alternate", "alternate");
        var mode = CliOptions.Choice("--mode", "knn (weighted k nearest neighbours) or prototype (the class whose support images are the most similar on average: the dot product with their mean).", "knn", "knn", "prototype");
        var k = CliOptions.Integer("--k", "Neighbours that vote (knn mode; 1: nearest neighbour).", 200, 1, 1_000_000);
        var temperature = CliOptions.Positive("--temperature", "The vote's temperature: weight exp(similarity / t).", 0.1f, 1000f);
        var shots = CliOptions.IntegerList("--shots", "Use this many random support images per class (0: all); several counts (1,5,10) are measured in turn.", 0, 0, 1_000_000);
        var seed = CliOptions.Integer("--seed", "Seed of the --shots draws: one NumPy generator, np.random.default_rng(seed), draws them all in order (each count's draws, each draw's classes in order), so a Python loop that does the same picks the same images.", 0, 0, 1_000_000_000);
        var draws = CliOptions.Integer("--draws", "With --shots: draws averaged.", 5, 1, 1000);
        var model = new ModelOptions();
        var command = new Command("knn", "Accuracy of a kNN or prototype classifier over the model's embeddings: support images label the query images.")
        {
            support, query, input, split, mode, k, temperature, shots, seed, draws,
        };
        model.AddTo(command);
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            bool pair = parse.GetValue(support) is not null || parse.GetValue(query) is not null;
            if (pair == (parse.GetValue(input) is not null) || (pair && (parse.GetValue(support) is null || parse.GetValue(query) is null)))
            {
                throw new ArgumentException("Give --support and --query, or --input with --split alternate.");
            }

            using ImageClassifier classifier = model.Create(parse);
            (LabelledSet s, LabelledSet q, int[] supportRows, int[] queryRows) = pair
                ? Pair(LabelledSet.Embed(classifier, parse.GetValue(support)!, stderr), LabelledSet.Embed(classifier, parse.GetValue(query)!, stderr))
                : Alternate(LabelledSet.Embed(classifier, parse.GetValue(input)!, stderr));
            KnnMode knnMode = parse.GetValue(mode) == "prototype" ? KnnMode.Prototype : KnnMode.Weighted;
            var random = new NumpyGenerator((ulong)parse.GetValue(seed));
            foreach (int n in parse.GetValue(shots)!)
            {
                int drawCount = n > 0 ? parse.GetValue(draws) : 1;
                var correct = new int[q.Classes.Count];
                var total = new int[q.Classes.Count];
                for (int d = 0; d < drawCount; d++)
                {
                    KnnClassifier knn = s.Build(n > 0 ? s.Draw(n, random, supportRows) : supportRows, model.Name(parse));
                    knn.Mode = knnMode;
                    knn.K = parse.GetValue(k);
                    knn.Temperature = parse.GetValue(temperature);
                    foreach (int row in queryRows)
                    {
                        int truth = q.Labels[row];
                        total[truth]++;
                        correct[truth] += knn.Classify(q.Vectors[row]).Label == q.Classes[truth] ? 1 : 0;
                    }
                }

                WriteAccuracy(stdout, parse.GetValue(mode)!, q.Classes, correct, total, drawCount > 1 ? $", {drawCount} draws of {n} per class" : n > 0 ? $", {n} per class" : string.Empty);
            }

            return 0;
        }));
        return command;
    }

    // "knn accuracy: 86.06% (4303/5000)", then a line per class that has queries.
    private static void WriteAccuracy(TextWriter stdout, string mode, IReadOnlyList<string> classes, int[] correct, int[] total, string draw)
    {
        int right = correct.Sum(), all = total.Sum();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode} accuracy: {100.0 * right / Math.Max(all, 1):F2}% ({right}/{all}{draw})"));
        for (int c = 0; c < classes.Count; c++)
        {
            if (total[c] > 0)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {classes[c],-12} {100.0 * correct[c] / total[c],6:F2}% ({correct[c]}/{total[c]})"));
            }
        }
    }

    public static Command CreateSimilar(TextWriter stdout, TextWriter stderr)
    {
        var index = CliOptions.FilePath("--index", "A kNN index written by 'simclrv2 index'.", required: true);
        var input = CliOptions.FilePath("--input", "The query image.", required: true, "-i");
        var top = CliOptions.Integer("--top", "How many neighbours.", 10, 1, 10_000);
        var model = new ModelOptions();
        var command = new Command("similar", "List the index's images most similar to an image (near-duplicates, 'more like this').") { index, input, top };
        model.AddTo(command);
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            KnnClassifier knn = KnnClassifier.Load(parse.GetValue(index)!);
            using ImageClassifier classifier = model.Create(parse, knn.EmbeddingName);
            string name = model.Name(parse);
            if (knn.Model is not null && !string.Equals(knn.Model, name, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The index was built with model '{knn.Model}', not '{name}': its similarities would mean nothing. Pass that model (--model/--bmodel), or rebuild the index.");
            }

            ImageEmbedding query = classifier.Embed(parse.GetValue(input)!).Single();
            if (!query.Succeeded)
            {
                throw new InvalidDataException($"'{query.Source}': {query.Error}");
            }

            foreach (KnnNeighbor neighbor in knn.Nearest(query.Vector.Span, parse.GetValue(top)))
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{neighbor.Similarity:F4}  {neighbor.Label,-12} {ConsoleText.Printable(neighbor.Source ?? $"#{neighbor.Index}")}"));
            }

            return 0;
        }));
        return command;
    }

    private static string NamesPath(string npy) => Path.ChangeExtension(npy, null) + ".names.txt";

    private static (LabelledSet, LabelledSet, int[], int[]) Pair(LabelledSet support, LabelledSet query)
    {
        if (query.Classes.FirstOrDefault(c => !support.Classes.Contains(c)) is { } missing)
        {
            throw new InvalidDataException($"The query class '{missing}' has no support images; the support set's classes are: {string.Join(", ", support.Classes)}.");
        }

        return (support, query, [.. Enumerable.Range(0, support.Count)], [.. Enumerable.Range(0, query.Count)]);
    }

    private static (LabelledSet, LabelledSet, int[], int[]) Alternate(LabelledSet set) =>
        (set, set, [.. Enumerable.Range(0, set.Count).Where(i => set.Positions[i] % 2 == 0)], [.. Enumerable.Range(0, set.Count).Where(i => set.Positions[i] % 2 == 1)]);

    /// <summary>The model options the embedding commands share with classify: --model or --bmodel, and --embedding.</summary>
    private sealed class ModelOptions
    {
        private readonly Option<string> _model = CliOptions.FilePath("--model", "The .onnx model (its .manifest.json beside it names its embeddings). Default: the shipped " + CliDefaults.ModelFileName + ".", aliases: "-m");
        private readonly Option<string> _bmodel = CliOptions.FilePath("--bmodel", "Run on a SOPHON TPU with this .bmodel instead of ONNX Runtime.");
        private readonly Option<int[]> _devices = CliOptions.Devices("SOPHON device id (with --bmodel).");
        private readonly Option<string> _sophonLib = CliOptions.FilePath("--sophon-lib", "Folder holding libsophon (with --bmodel).");
        private readonly Option<string> _embedding = CliOptions.Name("--embedding", "The embedding output (default: the manifest's default, e.g. projection; the shipped model also has h, the encoder's pooled features).");

        public void AddTo(Command command)
        {
            command.Options.Add(_model);
            command.Options.Add(_bmodel);
            command.Options.Add(_devices);
            command.Options.Add(_sophonLib);
            command.Options.Add(_embedding);
        }

        public ImageClassifier Create(ParseResult parse, string? embedding = null)
        {
            string? bmodel = parse.GetValue(_bmodel);
            if (bmodel is not null && parse.GetValue(_model) is not null)
            {
                throw new ArgumentException("Give --model or --bmodel, not both.");
            }

            embedding = parse.GetValue(_embedding) ?? embedding;
            return bmodel is null
                ? new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = parse.GetValue(_model) ?? CliDefaults.ModelPath, BatchSize = 32, Embedding = embedding })
                : new SophonImageClassifier(new SophonClassifierOptions
                {
                    ModelPath = bmodel,
                    DeviceIds = parse.GetValue(_devices),
                    Library = new SophonLibraryOptions { SearchDirectory = parse.GetValue(_sophonLib) },
                    Embedding = embedding,
                });
        }

        /// <summary>The model's name, recorded in an index: the manifest's name, else the file's name.</summary>
        public string Name(ParseResult parse)
        {
            string path = parse.GetValue(_bmodel) ?? parse.GetValue(_model) ?? CliDefaults.ModelPath;
            return ModelManifest.TryLoadFor(path)?.Name ?? Path.GetFileNameWithoutExtension(path);
        }
    }
}
