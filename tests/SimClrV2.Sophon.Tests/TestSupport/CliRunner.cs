using SimClrV2.Cli;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>Runs the <c>simclrv2</c> command line in-process and captures its output.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs it with <paramref name="folder"/> as the working folder (default output paths are relative).</summary>
    public static (int Code, string Out, string Err) RunIn(string folder, params string[] args)
    {
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
        try
        {
            return Run(args);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
