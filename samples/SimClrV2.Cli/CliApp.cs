using System.CommandLine;

namespace SimClrV2.Cli;

/// <summary>The <c>simclrv2</c> command line: classify and eval.</summary>
public static class CliApp
{
    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results go (stdout).</param>
    /// <param name="error">Where errors and progress go (stderr).</param>
    /// <returns>The exit code: 0 success, 1 failure, 2 bad input.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("simclrv2: classify images with SimCLR/SimCLRv2 models (ONNX Runtime on the CPU) and evaluate the results.")
        {
            ClassifyCommand.Create(output, error),
            EvalCommand.Create(output, error),
            EvalCommand.CreateReport(output, error),
            InspectCommand.Create(output, error),
            EmulateCommand.Create(output, error),
            BenchCommand.Create(output, error),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
