using SimClrV2.Sophon.Models;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>
/// Variants of the shipped model made at test time by ONNX graph edits (native/model/variant_onnx.py,
/// with the Python tooling CI installs): <c>nhwc</c> (NHWC input) and <c>softmax</c> (probability output).
/// </summary>
internal static class ModelVariants
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Writes the variant into the folder, or skips the test saying what is missing.</summary>
    public static string Make(string kind, string folder)
    {
        if (!File.Exists(Python) || ChildProcess.RunProgram(Python, ["-c", "import onnx"], TimeSpan.FromSeconds(60)).ExitCode != 0)
        {
            Assert.Ignore($"{Python} with the onnx module (Debian: python3-onnx) is needed to edit the model graph; .ci/run installs it.");
        }

        string output = Path.Combine(folder, $"variant-{kind}.onnx");
        ChildProcess.Result result = ChildProcess.RunProgram(
            Python, [Path.Combine(TestData.RepoRoot, "native", "model", "variant_onnx.py"), "--" + kind, TestData.DefaultModel, output], TimeSpan.FromMinutes(2));
        Assert.That(result.ExitCode, Is.Zero, result.Err);
        return output;
    }

    /// <summary>The shipped manifest with changes, saved beside the model.</summary>
    public static void WriteManifest(string model, Action<ModelManifest> change)
    {
        ModelManifest manifest = ModelManifest.Load(ModelManifest.PathFor(TestData.DefaultModel));
        manifest.Model = Path.GetFileName(model);
        change(manifest);
        manifest.Save(ModelManifest.PathFor(model));
    }
}
