using System.CommandLine;
using System.CommandLine.Parsing;

namespace SimClrV2.Cli;

/// <summary>The <c>simclrv2</c> command line: classify, eval, report, inspect, emulate and bench.</summary>
public static class CliApp
{
    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results go (stdout).</param>
    /// <param name="error">Where errors and progress go (stderr).</param>
    /// <returns>The exit code: 0 success, 1 failure, 2 bad input (a bad option value among them).</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ParseResult parse = CreateRoot(output, error).Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            return ReportParseErrors(parse, error);
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>The command tree (the tests walk every option of every command).</summary>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The root command.</returns>
    internal static RootCommand CreateRoot(TextWriter output, TextWriter error) =>
        new("simclrv2: classify images with SimCLR/SimCLRv2 models (ONNX Runtime on the CPU, or a SOPHON TPU), evaluate and benchmark them.")
        {
            ClassifyCommand.Create(output, error),
            EvalCommand.Create(output, error),
            EvalCommand.CreateReport(output, error),
            EmbeddingCommands.CreateEmbed(output, error),
            EmbeddingCommands.CreateIndex(output, error),
            EmbeddingCommands.CreateKnn(output, error),
            EmbeddingCommands.CreateSimilar(output, error),
            InspectCommand.Create(output, error),
            DoctorCommand.Create(output, error),
            EmulateCommand.Create(output, error),
            BenchCommand.Create(output, error),
        };

    /// <summary>
    /// One <c>error:</c> line per distinct parse error (one for one bad value), then where the
    /// options are listed; never the whole help, never a stack. Exit 2.
    /// </summary>
    private static int ReportParseErrors(ParseResult parse, TextWriter error)
    {
        foreach (string message in parse.Errors.Select(e => OneLine(e.Message)).Distinct(StringComparer.Ordinal))
        {
            error.WriteLine($"error: {ConsoleText.Printable(message)}");
        }

        Command command = parse.CommandResult.Command;
        error.WriteLine(command is RootCommand ? "run 'simclrv2 --help' for the commands." : $"run 'simclrv2 {command.Name} --help' for its options.");
        return CliErrors.BadInput;
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
