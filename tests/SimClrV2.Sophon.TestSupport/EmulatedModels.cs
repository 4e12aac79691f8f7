using System.Numerics.Tensors;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.TestSupport;

/// <summary>
/// Makes the reference's six bmodel variants (fp32/fp16/int8 x 1b/4b) for the project's libsophon
/// emulator from one ONNX model, each with a manifest. An emulated bmodel is a real bmodel
/// container (the 64-byte header, a flatbuffer with the model's type, version, time, chip and
/// networks, then the binary region), whose binary region is a description the emulator executes:
/// the ONNX model it names, the network name, stages, dtypes, scales and zero points. INT8 scales
/// come from calibration images, like TPU-MLIR's calibration: input scale = 127 / max|x|, output
/// scale = max|logit| / 127.
/// </summary>
public static class EmulatedModels
{
    /// <summary>The variants, as the reference names its bmodels.</summary>
    public static IReadOnlyList<(string Precision, int Batch)> Variants { get; } =
        [("fp32", 1), ("fp32", 4), ("fp16", 1), ("fp16", 4), ("int8", 1), ("int8", 4)];

    /// <summary>The file name of a variant, e.g. <c>simclrv2_int8_4b.bmodel</c>.</summary>
    public static string FileName(string precision, int batch) => $"simclrv2_{precision}_{batch}b.bmodel";

    /// <summary>Writes the six variants (and the ONNX model they name) into a folder.</summary>
    /// <param name="onnxPath">The ONNX model (its manifest supplies names and preprocessing).</param>
    /// <param name="outputFolder">Where to write.</param>
    /// <param name="calibration">Calibration images (e.g. CIFAR-10 test images).</param>
    /// <param name="fused">
    /// Fused preprocessing, as TPU-MLIR's <c>--fuse_preprocess</c> compiles it: each variant takes
    /// UINT8 pixels and applies the manifest's mean and scale inside; its manifest says so.
    /// </param>
    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> Write(string onnxPath, string outputFolder, IReadOnlyList<ImageInput> calibration, bool fused = false)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        if (calibration.Count == 0)
        {
            throw new ArgumentException("At least one calibration image is needed for the INT8 scales.", nameof(calibration));
        }

        ModelManifest manifest = ModelManifest.TryLoadFor(onnxPath) ?? new ModelManifest();
        (float inputScale, float outputScale, EngineInput input, string outputName, int classes) = Calibrate(onnxPath, manifest, calibration);
        // Every embedding output is kept, with its own INT8 scale (TPU-MLIR calibrates every tensor).
        (string Name, float Scale, int Length)[] embeddings = [.. (manifest.Embeddings ?? []).Select(e => CalibrateEmbedding(onnxPath, manifest, calibration, e))];
        PreprocessingOptions defaults = PreprocessingOptions.Cifar10 with { Width = input.Width, Height = input.Height };
        PreprocessingOptions preprocessing = manifest.Preprocessing?.Over(defaults) ?? defaults;
        Directory.CreateDirectory(outputFolder);
        string onnxName = Path.GetFileName(onnxPath);
        string onnxCopy = Path.Combine(outputFolder, onnxName);
        if (!string.Equals(Path.GetFullPath(onnxCopy), Path.GetFullPath(onnxPath), StringComparison.Ordinal))
        {
            File.Copy(onnxPath, onnxCopy, overwrite: true);
        }

        var written = new List<string>();
        foreach ((string precision, int batch) in Variants)
        {
            string type = precision switch { "fp32" => "FLOAT32", "fp16" => "FLOAT16", _ => "INT8" };
            float inScale = precision == "int8" ? inputScale : 1f;
            float outScale = precision == "int8" ? outputScale : 1f;
            string path = Path.Combine(outputFolder, FileName(precision, batch));
            var text = new StringBuilder();
            text.AppendLine("# sophon-emulator bmodel 1");
            text.AppendLine(CultureInfo.InvariantCulture, $"# {precision} batch {batch} from {onnxName}; INT8 scales from {calibration.Count} calibration images");
            text.AppendLine("net=simclrv2");
            text.AppendLine(CultureInfo.InvariantCulture, $"onnx={onnxName}");
            text.AppendLine(CultureInfo.InvariantCulture, $"onnx_input={input.Name}");
            text.AppendLine(CultureInfo.InvariantCulture, $"onnx_output={outputName}");
            foreach ((string name, _, _) in embeddings)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"onnx_output={name}");
            }

            if (fused)
            {
                // TPU-MLIR's formula: (pixel - mean / scale) * (scale / std) per channel.
                text.AppendLine(CultureInfo.InvariantCulture, $"input={input.Name} UINT8 1");
                text.AppendLine(CultureInfo.InvariantCulture, $"fuse={string.Join(",", preprocessing.Mean.Select(m => (m / preprocessing.Scale).ToString("R", CultureInfo.InvariantCulture)))} {string.Join(",", preprocessing.Std.Select(d => (preprocessing.Scale / d).ToString("R", CultureInfo.InvariantCulture)))}");
            }
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"input={input.Name} {type} {inScale:R}");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"output={outputName} {type} {outScale:R}");
            foreach ((string name, float scale, _) in embeddings)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"output={name} {type} {(precision == "int8" ? scale : 1f):R}");
            }

            string shape = input.Layout == TensorLayout.Nhwc
                ? string.Create(CultureInfo.InvariantCulture, $"{input.Height}x{input.Width}x{input.Channels}")
                : string.Create(CultureInfo.InvariantCulture, $"{input.Channels}x{input.Height}x{input.Width}");
            text.AppendLine(CultureInfo.InvariantCulture, $"stage={batch}x{shape} {batch}x{classes}{string.Concat(embeddings.Select(e => string.Create(CultureInfo.InvariantCulture, $" {batch}x{e.Length}")))}");
            WriteBModel(path, text.ToString());
            new ModelManifest
            {
                Name = Path.GetFileNameWithoutExtension(path),
                Model = Path.GetFileName(path),
                Card = manifest.Card,
                InputName = input.Name,
                OutputName = outputName,
                Layout = manifest.Layout,
                Preprocessing = manifest.Preprocessing,
                OutputKind = manifest.OutputKind,
                FusedPreprocessing = fused ? true : null,
                Labels = manifest.Labels,
                Accuracy = manifest.Accuracy,
                Embeddings = manifest.Embeddings,
                DefaultEmbedding = manifest.DefaultEmbedding,
            }.Save(ModelManifest.PathFor(path));
            written.Add(path);
        }

        return written;
    }

    /// <summary>Writes an emulated bmodel: the description wrapped in a bmodel container (<see cref="Pack"/>).</summary>
    /// <param name="path">The .bmodel file.</param>
    /// <param name="description">The emulator's description text ("# sophon-emulator bmodel 1", net=, onnx=, input=, output=, stage=).</param>
    public static void WriteBModel(string path, string description) =>
        Sophon.Results.OutputFile.Write(path, "--output", [], stream => stream.Write(Pack(description)));

    /// <summary>
    /// A bmodel container holding a description: the header (magic 0xFF55AAEE, header size 64,
    /// flatbuffer size, binary size), a flatbuffer whose root table is tpu-bmodel's Model (type "B",
    /// version, time, chip "BM1684X", the net list with the description's net name), and the
    /// description as the binary region.
    /// </summary>
    /// <param name="description">The description text.</param>
    /// <param name="chip">The chip the container names.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Pack(string description, string chip = "BM1684X")
    {
        ArgumentNullException.ThrowIfNull(description);
        string net = description.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("net=", StringComparison.Ordinal))?[4..] ?? "net";
        byte[] flatbuffer = ModelFlatbuffer(["B", "2.2", "emulated", chip], [net]);
        byte[] binary = Encoding.UTF8.GetBytes(description);
        var bytes = new byte[64 + flatbuffer.Length + binary.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0xFF55AAEE);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 64);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)flatbuffer.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)binary.Length);
        flatbuffer.CopyTo(bytes, 64);
        binary.CopyTo(bytes, 64 + flatbuffer.Length);
        return bytes;
    }

    /// <summary>
    /// The flatbuffer of a Model table with four strings and a net vector (each Net with a name),
    /// laid out front to back (flatbuffers' offsets point forward; vtables may lie anywhere):
    /// root offset, Model vtable, Model table, Net vtable, net vector, Net tables, strings.
    /// </summary>
    private static byte[] ModelFlatbuffer(string[] modelStrings, string[] nets)
    {
        var fb = new List<byte>();
        void U16(int v) => fb.AddRange(BitConverter.GetBytes((ushort)v));
        void U32(int v) => fb.AddRange(BitConverter.GetBytes(v));
        void Pad() { while (fb.Count % 4 != 0) fb.Add(0); }
        void Patch(int at, int value) => BitConverter.GetBytes(value).CopyTo(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fb).Slice(at, 4));

        U32(0); // root offset, patched
        int modelVTable = fb.Count;
        U16(4 + (2 * 5));
        U16(4 + (4 * 5));
        for (int i = 0; i < 5; i++)
        {
            U16(4 + (4 * i));
        }

        Pad();
        int model = fb.Count;
        Patch(0, model);
        U32(model - modelVTable);
        int modelFields = fb.Count;
        for (int i = 0; i < 5; i++)
        {
            U32(0); // patched
        }

        int netVTable = fb.Count;
        U16(6);
        U16(8);
        U16(4);
        Pad();
        int vector = fb.Count;
        Patch(modelFields + 16, vector - (modelFields + 16));
        U32(nets.Length);
        int slots = fb.Count;
        for (int i = 0; i < nets.Length; i++)
        {
            U32(0); // patched
        }

        var netNameFields = new int[nets.Length];
        for (int i = 0; i < nets.Length; i++)
        {
            int table = fb.Count;
            Patch(slots + (4 * i), table - (slots + (4 * i)));
            U32(table - netVTable);
            netNameFields[i] = fb.Count;
            U32(0); // patched
        }

        void String(string value, int field)
        {
            Patch(field, fb.Count - field);
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            U32(utf8.Length);
            fb.AddRange(utf8);
            fb.Add(0);
            Pad();
        }

        for (int i = 0; i < modelStrings.Length; i++)
        {
            String(modelStrings[i], modelFields + (4 * i));
        }

        for (int i = 0; i < nets.Length; i++)
        {
            String(nets[i], netNameFields[i]);
        }

        return [.. fb];
    }

    private static (float InputScale, float OutputScale, EngineInput Input, string OutputName, int Classes) Calibrate(
        string onnxPath, ModelManifest manifest, IReadOnlyList<ImageInput> calibration)
    {
        Observed o = Observe(onnxPath, manifest, calibration, "none");
        return (127f / o.MaxInput, o.MaxOutput / 127f, o.Input, o.OutputName, o.Classes);
    }

    /// <summary>An embedding output's INT8 scale: its largest magnitude over the calibration images / 127.</summary>
    private static (string Name, float Scale, int Length) CalibrateEmbedding(string onnxPath, ModelManifest manifest, IReadOnlyList<ImageInput> calibration, string name)
    {
        Observed o = Observe(onnxPath, manifest, calibration, name);
        return (name, o.MaxEmbedding > 0 ? o.MaxEmbedding / 127f : 1f, o.EmbeddingLength);
    }

    /// <summary>Runs the calibration images through ONNX Runtime (fetching <paramref name="embedding"/>, or "none") and keeps the largest magnitudes seen.</summary>
    private static Observed Observe(string onnxPath, ModelManifest manifest, IReadOnlyList<ImageInput> calibration, string embedding)
    {
        using var engine = new OnnxRuntimeEngine(new OnnxClassifierOptions
        {
            ModelPath = onnxPath,
            InputName = manifest.InputName,
            OutputName = manifest.OutputName,
            Layout = manifest.Layout,
            BatchSize = 1,
            Embedding = embedding,
        });
        PreprocessingOptions defaults = PreprocessingOptions.Cifar10 with { Width = engine.Input.Width, Height = engine.Input.Height };
        var preprocessor = new CpuPreprocessor(manifest.Preprocessing?.Over(defaults) ?? defaults, engine.Input);
        InferenceBatch batch = engine.RentBatch();
        float maxInput = 0, maxOutput = 0, maxEmbedding = 0;
        foreach (ImageInput image in calibration)
        {
            using DecodedImage decoded = image.Decode();
            preprocessor.Process(decoded, batch.ImageSlot(0));
            maxInput = Math.Max(maxInput, MathF.Abs(TensorPrimitives.MaxMagnitude(MemoryMarshal.Cast<byte, float>(batch.ImageSlot(0)))));
            engine.Run(batch, 1);
            maxOutput = Math.Max(maxOutput, MathF.Abs(TensorPrimitives.MaxMagnitude(batch.OutputRow(0))));
            if (engine.EmbeddingLength > 0)
            {
                maxEmbedding = Math.Max(maxEmbedding, MathF.Abs(TensorPrimitives.MaxMagnitude(batch.EmbeddingRow(0, engine.EmbeddingLength))));
            }
        }

        engine.ReturnBatch(batch);
        return new Observed(maxInput, maxOutput, maxEmbedding, engine.Input, engine.OutputName, engine.OutputLength, engine.EmbeddingLength);
    }

    private sealed record Observed(float MaxInput, float MaxOutput, float MaxEmbedding, EngineInput Input, string OutputName, int Classes, int EmbeddingLength);

    /// <summary>Evenly spaced calibration images from a CIFAR-10 file (the files are sorted by class, so the first N would be one class).</summary>
    public static IReadOnlyList<ImageInput> CalibrationFrom(string path, int count)
    {
        IReadOnlyList<ImageInput> all = ImageInputs.Detect(path) switch
        {
            InputKind.CifarPickle => CifarDataset.ReadPickle(path).ToInputs(),
            InputKind.CifarBinary => CifarDataset.ReadBinary(path).ToInputs(),
            _ => ImageInputs.FromPath(path),
        };
        count = Math.Clamp(count, 1, all.Count);
        return Enumerable.Range(0, count).Select(i => all[(int)((long)i * all.Count / count)]).ToList();
    }
}
