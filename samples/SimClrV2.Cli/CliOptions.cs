using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SimClrV2.Cli;

/// <summary>
/// The tool's typed options. Each parses its own text and, when the text is not a value it takes,
/// adds one parse error that names the option, the value given and what it accepts
/// (<c>--batch 'abc': expected a whole number from 1 to 1024.</c>); <see cref="CliApp"/> prints it
/// as one <c>error:</c> line and exits 2. No value ever reaches a command's action unparsed, so no
/// action can throw while reading one.
/// </summary>
internal static class CliOptions
{
    /// <summary>The highest device id <c>--dev-id</c> takes.</summary>
    public const int MaxDeviceId = 255;

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    /// <param name="name">The option's name (<c>--batch</c>).</param>
    /// <param name="description">Help text.</param>
    /// <param name="defaultValue">The value when the option is not given.</param>
    /// <param name="min">The least value taken.</param>
    /// <param name="max">The greatest value taken.</param>
    /// <param name="accepted">What is accepted, in words (default: "a whole number from min to max").</param>
    /// <param name="aliases">Other names.</param>
    public static Option<int> Integer(string name, string description, int defaultValue, int min, int max, string? accepted = null, params string[] aliases)
    {
        accepted ??= string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} to {max}");
        var option = new Option<int>(name, aliases) { Description = $"{description} ({min}..{max})", DefaultValueFactory = _ => defaultValue };
        option.CustomParser = r =>
        {
            string text = Text(r);
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            {
                return value;
            }

            Reject(r, name, text, accepted);
            return defaultValue;
        };
        return option;
    }

    /// <summary>A positive finite number (e.g. a temperature).</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">Help text.</param>
    /// <param name="defaultValue">The value when the option is not given.</param>
    /// <param name="max">The greatest value taken.</param>
    public static Option<float> Positive(string name, string description, float defaultValue, float max)
    {
        string accepted = string.Create(CultureInfo.InvariantCulture, $"a number above 0 and at most {max}");
        var option = new Option<float>(name) { Description = string.Create(CultureInfo.InvariantCulture, $"{description} (default {defaultValue})"), DefaultValueFactory = _ => defaultValue };
        option.CustomParser = r =>
        {
            string text = Text(r);
            if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && value > 0f && value <= max)
            {
                return value;
            }

            Reject(r, name, text, accepted);
            return defaultValue;
        };
        return option;
    }

    /// <summary>A name (an output's, a network's): any text but an empty one.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">Help text.</param>
    public static Option<string> Name(string name, string description)
    {
        var option = new Option<string>(name) { Description = description };
        option.CustomParser = r => NonEmpty(r, name, "a name") ? Text(r) : null;
        return option;
    }

    /// <summary>One of a fixed list of words.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">Help text.</param>
    /// <param name="defaultValue">The value when the option is not given.</param>
    /// <param name="values">The words taken (case-sensitive, as typed in the help).</param>
    public static Option<string> Choice(string name, string description, string defaultValue, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = string.Join('|', values) };
        option.CompletionSources.Add(values);
        option.CustomParser = r =>
        {
            string text = Text(r);
            if (values.Contains(text, StringComparer.Ordinal))
            {
                return text;
            }

            Reject(r, name, text, "one of " + string.Join(", ", values));
            return defaultValue;
        };
        return option;
    }

    /// <summary>A file or folder path: any text but an empty one.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">Help text.</param>
    /// <param name="required">Whether the option must be given.</param>
    /// <param name="aliases">Other names.</param>
    public static Option<string> FilePath(string name, string description, bool required = false, params string[] aliases)
    {
        var option = new Option<string>(name, aliases) { Description = description, Required = required };
        option.CustomParser = r => NonEmpty(r, name, "a file or folder path") ? Text(r) : null;
        return option;
    }

    /// <summary>Several paths: the option repeated, or several values after it; none may be empty.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">Help text.</param>
    /// <param name="aliases">Other names.</param>
    public static Option<string[]> FilePaths(string name, string description, params string[] aliases)
    {
        var option = new Option<string[]>(name, aliases) { Description = description, AllowMultipleArgumentsPerToken = true };
        option.CustomParser = r => NonEmpty(r, name, "a file or folder path") ? [.. r.Tokens.Select(t => t.Value)] : [];
        return option;
    }

    /// <summary>
    /// SOPHON device ids: one id (<c>0</c>), a comma-separated list (<c>0,1,2</c>), the option
    /// repeated (<c>--dev-id 0 --dev-id 1</c>) or both; each 0..<see cref="MaxDeviceId"/>, none twice.
    /// </summary>
    /// <param name="description">Help text.</param>
    public static Option<int[]> Devices(string description)
    {
        var option = new Option<int[]>("--dev-id", "--dev_id")
        {
            Description = description + " Several: 0,1,2 or the option repeated. Default: 0.",
            DefaultValueFactory = _ => [0],
            HelpName = "id[,id...]",
        };
        option.CustomParser = r => Integers(r, "--dev-id", 0, MaxDeviceId, "device ids from 0 to 255, separated by commas or with the option repeated (0,1,2), none twice") ?? [0];
        return option;
    }

    /// <summary>
    /// Whole numbers in <paramref name="min"/>..<paramref name="max"/>: one (<c>5</c>), a comma-separated
    /// list (<c>1,5,10</c>), the option repeated, or both; none twice.
    /// </summary>
    /// <param name="name">The option's name (<c>--shots</c>).</param>
    /// <param name="description">Help text.</param>
    /// <param name="defaultValue">The value when the option is not given.</param>
    /// <param name="min">The least value taken.</param>
    /// <param name="max">The greatest value taken.</param>
    public static Option<int[]> IntegerList(string name, string description, int defaultValue, int min, int max)
    {
        string accepted = string.Create(CultureInfo.InvariantCulture, $"whole numbers from {min} to {max}, separated by commas or with the option repeated, none twice");
        var option = new Option<int[]>(name)
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"{description} ({min}..{max}; several: n,n,...)"),
            DefaultValueFactory = _ => [defaultValue],
            HelpName = "n[,n...]",
        };
        option.CustomParser = r => Integers(r, name, min, max, accepted) ?? [defaultValue];
        return option;
    }

    // The numbers of a list option's tokens, or null after rejecting them.
    private static int[]? Integers(ArgumentResult r, string name, int min, int max, string accepted)
    {
        var values = new List<int>();
        foreach (string part in r.Tokens.SelectMany(t => t.Value.Split(',')))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max || values.Contains(value))
            {
                Reject(r, name, string.Join(",", r.Tokens.Select(t => t.Value)), accepted);
                return null;
            }

            values.Add(value);
        }

        return [.. values];
    }

    /// <summary>Adds to a path argument the rule of <see cref="FilePath"/>: no empty path.</summary>
    /// <typeparam name="T">string or string[].</typeparam>
    /// <param name="argument">The argument.</param>
    /// <returns>The argument.</returns>
    public static Argument<T> NonEmptyPaths<T>(Argument<T> argument)
    {
        argument.Validators.Add(r => NonEmpty(r, argument.Name, "a file path"));
        return argument;
    }

    private static bool NonEmpty(ArgumentResult r, string name, string accepted)
    {
        foreach (Token token in r.Tokens)
        {
            if (string.IsNullOrWhiteSpace(token.Value))
            {
                Reject(r, name, token.Value, accepted);
                return false;
            }
        }

        return true;
    }

    private static string Text(ArgumentResult r) => r.Tokens.Count == 0 ? string.Empty : string.Join(' ', r.Tokens.Select(t => t.Value));

    private static void Reject(ArgumentResult r, string name, string text, string accepted) =>
        r.AddError($"{name} '{ConsoleText.Printable(Shorten(text))}': expected {accepted}.");

    /// <summary>A value as quoted in an error: whole when short, its start and length when not.</summary>
    private static string Shorten(string text) => text.Length <= 64 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..48]}... ({text.Length} characters)");
}
