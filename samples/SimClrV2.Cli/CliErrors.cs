using Microsoft.ML.OnnxRuntime;

namespace SimClrV2.Cli;

/// <summary>Turns failures into one line on stderr and an exit code, never a stack trace.</summary>
internal static class CliErrors
{
    public const int Failure = 1;
    public const int BadInput = 2;

    public static int Run(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {ex.Message}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: cancelled.");
            return Failure;
        }
        catch (Exception ex) when (ex is IOException or OnnxRuntimeException or InvalidOperationException or SimClrV2.Sophon.Tpu.SophonException)
        {
            error.WriteLine($"error: {ex.Message}");
            return Failure;
        }
    }
}
