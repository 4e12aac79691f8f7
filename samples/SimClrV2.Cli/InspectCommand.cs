using System.CommandLine;
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

    private static void Print(TextWriter stdout, string path, int device) => stdout.Write(SophonRuntime.DescribeModel(path, device));
}
