using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>Text from files (names, errors) made safe for a terminal: control characters (ANSI escapes among them) are shown escaped, never sent raw.</summary>
internal static class ConsoleText
{
    public static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(IsUnsafe))
        {
            return text ?? string.Empty;
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (IsUnsafe(c))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;

    /// <summary>"1 image", "2 images".</summary>
    public static string Count(int count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    /// <summary>"skipped 4 files of other types: .ico 1, .psd 1, (no extension) 2".</summary>
    public static string SkippedSummary(IReadOnlyCollection<string> skipped) =>
        $"skipped {Count(skipped.Count, "file")} of other types: " + string.Join(", ", skipped
            .GroupBy(f => Path.GetExtension(f).ToLowerInvariant() is { Length: > 0 } e ? Printable(e) : "(no extension)")
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}")));

    /// <summary>The reference program's timing block, milliseconds per image with 2 decimals (five lines).</summary>
    public static string ReferenceTimings(StageTimings t) => string.Create(
        CultureInfo.InvariantCulture,
        $"------------------ Inference Time Info ----------------------\ndecode_time(ms): {t.DecodeMs:F2}\npreprocess_time(ms): {t.PreprocessMs:F2}\ninference_time(ms): {t.InferenceMs:F2}\npostprocess_time(ms): {t.PostprocessMs:F2}");
}
