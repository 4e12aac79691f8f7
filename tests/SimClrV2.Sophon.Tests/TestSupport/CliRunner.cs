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
}
