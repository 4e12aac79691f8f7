using System.Globalization;
using System.Net;

namespace SimClrV2.Cli.Reports;

/// <summary>Text helpers shared by the HTML pages: encoding and invariant formatting.</summary>
internal static class Html
{
    /// <summary>HTML-encodes text.</summary>
    public static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Formats with the invariant culture (dots, not commas, in numbers).</summary>
    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
