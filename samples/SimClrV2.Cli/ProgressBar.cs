using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>A one-line progress bar on stderr with the rate and the time left, shown only when enabled (stderr is a terminal).</summary>
internal sealed class ProgressBar(TextWriter error, bool enabled) : IProgress<ClassificationProgress>, IDisposable
{
    private const int Width = 30;
    private readonly long _start = Environment.TickCount64;
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
        error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {Describe(value.Completed, total, (now - _start) / 1000.0)}   ");
        _drawn = true;
    }

    /// <summary>"1200/10000 images, 850 images/s, 0:10 left": the rate so far and the time the rest takes at that rate.</summary>
    internal static string Describe(int completed, int total, double seconds)
    {
        double rate = seconds > 0 ? completed / seconds : 0;
        string left = rate > 0 ? TimeSpan.FromSeconds(Math.Ceiling((total - completed) / rate)).ToString(@"m\:ss", System.Globalization.CultureInfo.InvariantCulture) : "--:--";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{completed}/{total} images, {rate:F0} images/s, {left} left");
    }

    public void Dispose()
    {
        if (_drawn)
        {
            error.WriteLine();
        }
    }
}
