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
        catch (ArgumentException ex)
        {
            // The message without .NET's " (Parameter 'x')" suffix: the message names the option already.
            string message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;
            error.WriteLine($"error: {ConsoleText.Printable(message)}");
            return BadInput;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {ConsoleText.Printable(ex.Message)}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: cancelled.");
            return Failure;
        }
        catch (Exception ex) when (ex is IOException or OnnxRuntimeException or InvalidOperationException or SimClrV2.Sophon.Tpu.SophonException)
        {
            error.WriteLine($"error: {ConsoleText.Printable(ex.Message)}");
            return Failure;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A fault of the tool itself: still one line and an exit code, never a stack on the user's terminal.
            error.WriteLine($"error: internal error ({ex.GetType().Name}): {ConsoleText.Printable(ex.Message)}; please report it with the command line.");
            return Failure;
        }
    }
}
