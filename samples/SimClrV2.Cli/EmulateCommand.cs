using System.CommandLine;
using SimClrV2.Sophon.TestSupport;

namespace SimClrV2.Cli;

/// <summary><c>simclrv2 emulate</c>: the six emulated bmodels (fp32/fp16/int8 x 1b/4b) for the libsophon emulator.</summary>
internal static class EmulateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var onnx = CliOptions.FilePath("--onnx", "The ONNX model (default: the shipped model).");
        var output = CliOptions.FilePath("--output", "Folder for the six .bmodel files.", required: true, "-o");
        var calibration = CliOptions.FilePath("--calibration", "Calibration images for the INT8 scales: a CIFAR-10 pickle/.bin or an image folder.", required: true);
        var count = CliOptions.Integer("--count", "Calibration images (evenly spaced).", 100, 1, 100_000);
        var fused = new Option<bool>("--fused") { Description = "Fused preprocessing (TPU-MLIR's --fuse_preprocess): the bmodels take UINT8 pixels and normalise inside." };
        var command = new Command("emulate", "Write the reference's six bmodel variants as emulated bmodels that the project's libsophon emulator runs through ONNX Runtime.")
        {
            onnx, output, calibration, count, fused,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            ReportFiles.RequireFolder(parse.GetValue(output)!, "--output");
            IReadOnlyList<string> written = EmulatedModels.Write(
                parse.GetValue(onnx) ?? CliDefaults.ModelPath,
                parse.GetValue(output)!,
                EmulatedModels.CalibrationFrom(parse.GetValue(calibration)!, parse.GetValue(count)),
                parse.GetValue(fused));
            foreach (string path in written)
            {
                stdout.WriteLine(path);
            }

            return 0;
        }));
        return command;
    }
}
