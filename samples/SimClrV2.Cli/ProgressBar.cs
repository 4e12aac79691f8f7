using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>A one-line progress bar on stderr, shown only when enabled (stderr is a terminal).</summary>
internal sealed class ProgressBar(TextWriter error, bool enabled) : IProgress<ClassificationProgress>, IDisposable
{
    private const int Width = 30;
    private long _lastDraw;
    private bool _drawn;

    public void Report(ClassificationProgress value)
    {
        if (!enabled || value.Total is not int total || total < 100)
        {
            return;
        }

        long now = Environment.TickCount64;
        if (value.Completed < total && now - _lastDraw < 100)
        {
            return;
        }

        _lastDraw = now;
        int filled = (int)((long)Width * value.Completed / total);
        error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {value.Completed}/{total} images");
        _drawn = true;
    }

    public void Dispose()
    {
        if (_drawn)
        {
            error.WriteLine();
        }
    }
}
