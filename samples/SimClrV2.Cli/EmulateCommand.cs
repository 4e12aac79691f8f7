using System.CommandLine;

namespace SimClrV2.Cli;

/// <summary><c>simclrv2 emulate</c>: the six emulated bmodels (fp32/fp16/int8 x 1b/4b) for the libsophon emulator.</summary>
internal static class EmulateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var onnx = new Option<string>("--onnx") { Description = "The ONNX model (default: the shipped model)." };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the six .bmodel files.", Required = true };
        var calibration = new Option<string>("--calibration") { Description = "Calibration images for the INT8 scales: a CIFAR-10 pickle/.bin or an image folder.", Required = true };
        var count = new Option<int>("--count") { Description = "Calibration images (evenly spaced).", DefaultValueFactory = _ => 100 };
        var fused = new Option<bool>("--fused") { Description = "Fused preprocessing (TPU-MLIR's --fuse_preprocess): the bmodels take UINT8 pixels and normalise inside." };
        var command = new Command("emulate", "Write the reference's six bmodel variants as emulated bmodels that the project's libsophon emulator runs through ONNX Runtime.")
        {
            onnx, output, calibration, count, fused,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
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
