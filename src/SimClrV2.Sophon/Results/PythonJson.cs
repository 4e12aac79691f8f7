using System.Globalization;
using System.Text;

namespace SimClrV2.Sophon.Results;

/// <summary>JSON values written the way Python's <c>json.dump</c> writes them (default <c>ensure_ascii=True</c>).</summary>
internal static class PythonJson
{
    /// <summary>A string: <c>"</c> and <c>\</c> escaped, <c>\n \r \t \b \f</c> short, other control characters, DEL and every non-ASCII UTF-16 unit as lowercase <c>\uXXXX</c>.</summary>
    public static string String(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7E)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>A float as Python's <c>repr</c>: the shortest round-trip digits, a lowercase exponent, and always a decimal point or an exponent (<c>1.0</c>, not <c>1</c>).</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.Ordinal) ? text : text + ".0";
    }
}
