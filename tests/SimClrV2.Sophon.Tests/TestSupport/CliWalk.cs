using System.CommandLine;
using System.CommandLine.Help;
using SimClrV2.Cli;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>
/// Every option of every <c>simclrv2</c> command, and for each command a cheap command line that is
/// valid but for the option under test (a one-image folder, a one-entry result file), so a walk can
/// put any value in any option and see what the tool does with it.
/// </summary>
internal static class CliWalk
{
    /// <summary>The hostile values: non-numeric, overflow, negative, zero, empty, huge, and a huge text.</summary>
    public static readonly string[] Values = ["abc", "99999999999999", "-1", "0", "", "2147483647", new string('9', 400)];

    /// <summary>(command, option) for every option of every command, help and version aside.</summary>
    public static IEnumerable<(string Command, Option Option)> Options()
    {
        RootCommand root = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null);
        foreach (Command command in root.Subcommands)
        {
            foreach (Option option in command.Options.Where(o => o is not HelpOption and not VersionOption))
            {
                yield return (command.Name, option);
            }
        }
    }

    /// <summary>
    /// Writes into <paramref name="dir"/> what the base command lines read: <c>in/cat/a.png</c> (an
    /// image in a CIFAR-10 class folder), <c>r.json</c> (its result) and <c>index.bin</c> (a kNN index of one image).
    /// </summary>
    public static void Prepare(TempDir dir)
    {
        TestData.WritePng(Path.Combine(dir.Path, "in", "cat"), "a.png", 8, 8, 1);
        File.WriteAllText(dir.File("r.json"), """[{"filename": "cat/a.png", "prediction": 3, "score": 0.5}]""");
        var index = new SimClrV2.Sophon.Embeddings.KnnClassifier(128, "projection", "simclrv2-r18w025-cifar10");
        index.Add(Enumerable.Repeat(1f, 128).ToArray(), "cat", "cat/a.png");
        index.Save(dir.File("index.bin"));
    }

    /// <summary>A command line for <paramref name="command"/> that runs quickly in <paramref name="dir"/>, without <paramref name="except"/> (the option under test).</summary>
    public static string[] BaseArgs(string command, TempDir dir, string except)
    {
        (string Option, string Value)[] options = command switch
        {
            "classify" => [("--input", dir.File("in")), ("--output", dir.File("out.json"))],
            "eval" => [("--results", dir.File("r.json")), ("--labels", dir.File("in"))],
            "report" => [("--labels", dir.File("in")), ("--output", dir.File("report.html"))],
            "inspect" => [],
            "doctor" => [("--sophon-lib", dir.File("no-libsophon")), ("--output", dir.File("doctor"))],
            "emulate" => [("--output", dir.File("bmodels")), ("--calibration", dir.File("in")), ("--count", "1")],
            "bench" => [("--input", dir.File("in")), ("--output-dir", dir.File("bench")), ("--count", "1")],
            "embed" => [("--input", dir.File("in")), ("--output", dir.File("v.npy"))],
            "index" => [("--input", dir.File("in")), ("--output", dir.File("new-index.bin"))],
            "knn" => [("--support", dir.File("in")), ("--query", dir.File("in"))],
            "similar" => [("--index", dir.File("index.bin")), ("--input", Path.Combine(dir.Path, "in", "cat", "a.png"))],
            _ => throw new ArgumentException($"no base command line for '{command}'", nameof(command)),
        };
        string[] arguments = command switch
        {
            "report" => [dir.File("r.json")],
            "inspect" => [dir.File("missing.bmodel")],
            _ => [],
        };
        return [command, .. arguments, .. options.Where(o => o.Option != except).SelectMany(o => new[] { o.Option, o.Value })];
    }
}
