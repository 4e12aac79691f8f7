using System.CommandLine;
using System.Globalization;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Cli;

/// <summary><c>simclrv2 inspect PATH</c>: a bmodel's networks, stages, dtypes, shapes and scales.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = CliOptions.NonEmptyPaths(new Argument<string>("bmodel") { Description = "The .bmodel file." });
        var devId = CliOptions.Devices("SOPHON device id; with several, the bmodel is loaded and printed on each.");
        var sophonLib = CliOptions.FilePath("--sophon-lib", "Folder holding libsophon.");
        var command = new Command("inspect", "Print a bmodel's networks, stages, dtypes, shapes and scales (loads it on a SOPHON device).") { path, devId, sophonLib };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = parse.GetValue(sophonLib) });
            foreach (int device in parse.GetValue(devId)!)
            {
                Print(stdout, parse.GetValue(path)!, device);
            }

            return 0;
        }));
        return command;
    }

    private static void Print(TextWriter stdout, string path, int device)
    {
        using SophonModel model = SophonModel.Load(path, device);
        stdout.WriteLine($"{model.Source} on device {model.DeviceId}: {model.Networks.Count} network(s)");
        foreach (SophonNetworkInfo net in model.Networks)
        {
            stdout.WriteLine($"network '{net.Name}'{(net.IsDynamic ? " (dynamic)" : string.Empty)}");
            for (int i = 0; i < net.Inputs.Count; i++)
            {
                stdout.WriteLine(Tensor("input", net.Inputs[i], net.MaxInputBytes[i]));
            }

            for (int i = 0; i < net.Outputs.Count; i++)
            {
                stdout.WriteLine(Tensor("output", net.Outputs[i], net.MaxOutputBytes[i]));
            }

            foreach ((SophonStage stage, int index) in net.Stages.Select((s, i) => (s, i)))
            {
                stdout.WriteLine($"  stage {index}: batch {stage.BatchSize}, inputs {Shapes(stage.InputShapes)}, outputs {Shapes(stage.OutputShapes)}");
            }
        }
    }

    private static string Tensor(string kind, SophonTensorInfo t, long maxBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"  {kind} '{t.Name}': {t.DataType}, scale {t.Scale:G6}, zero point {t.ZeroPoint}, max {maxBytes} bytes");

    private static string Shapes(IReadOnlyList<IReadOnlyList<int>> shapes) =>
        string.Join(" ", shapes.Select(s => $"[{string.Join(", ", s)}]"));
}
