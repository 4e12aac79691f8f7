using System.Diagnostics;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>Runs a .NET program of the test output (the CLI, the probe) in its own process with a timeout, so a crash or a hang fails one test instead of the run.</summary>
internal static class ChildProcess
{
    /// <summary>The outcome; <see cref="TimedOut"/> when the process was killed at the timeout.</summary>
    public sealed record Result(int ExitCode, string Out, string Err, bool TimedOut);

    public static Result Run(string assembly, TimeSpan timeout, params string[] args) => Run(assembly, timeout, null, args);

    public static Result Run(string assembly, TimeSpan timeout, IDictionary<string, string>? environment, params string[] args) =>
        RunProgram("dotnet", [Path.Combine(AppContext.BaseDirectory, assembly), .. args], timeout, environment);

    /// <summary>The command line that <see cref="Run(string, TimeSpan, string[])"/> would start, for wrapping in another program.</summary>
    public static string[] CommandLine(string assembly, params string[] args) => ["dotnet", Path.Combine(AppContext.BaseDirectory, assembly), .. args];

    /// <summary>Runs any program with a timeout.</summary>
    public static Result RunProgram(string program, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (KeyValuePair<string, string> pair in environment ?? new Dictionary<string, string>())
        {
            start.Environment[pair.Key] = pair.Value;
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        return new Result(exited ? process.ExitCode : -1, stdout.Result, stderr.Result, !exited);
    }
}
