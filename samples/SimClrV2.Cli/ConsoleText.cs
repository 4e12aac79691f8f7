using System.Globalization;
using System.Text;

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
}
