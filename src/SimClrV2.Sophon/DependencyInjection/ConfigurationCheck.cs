using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace SimClrV2.Sophon.DependencyInjection;

/// <summary>
/// Checks a configuration section against an options type before the configuration binder's
/// generated code binds it: every key the type does not have, and every value that does not parse
/// (a number, a flag, an enum name), anywhere in the section, in one exception that names each key
/// and lists the known ones. The keys are the type's own bindable properties, so there is no key
/// list to keep in step with the options.
/// </summary>
internal static class ConfigurationCheck
{
    /// <summary>The name a section is reported by: its path, or <c>configuration</c> for the root.</summary>
    public static string NameOf(IConfiguration configuration) =>
        configuration is IConfigurationSection { Path.Length: > 0 } section ? section.Path : "configuration";

    /// <summary>Throws naming every unknown key and unparsable value under <paramref name="configuration"/>.</summary>
    /// <exception cref="InvalidOperationException">Some keys or values are wrong; the message lists them all.</exception>
    public static void ThrowIfInvalid(IConfiguration configuration, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type optionsType)
    {
        var unknown = new List<(string Path, string Known)>();
        var invalid = new List<string>();
        Walk(configuration, optionsType, unknown, invalid);
        var problems = new List<string>();
        foreach (IGrouping<string, (string Path, string Known)> group in unknown.GroupBy(u => u.Known))
        {
            string[] paths = [.. group.Select(u => u.Path)];
            problems.Add(paths.Length == 1
                ? $"{paths[0]} is not an option here; the options are: {group.Key}."
                : $"{string.Join(", ", paths)} are not options here; the options are: {group.Key}.");
        }

        problems.AddRange(invalid);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Nested option types are property types of options whose properties the configuration binder's generated code sets, which keeps them.")]
    private static void Walk(IConfiguration section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, List<(string, string)> unknown, List<string> invalid)
    {
        PropertyInfo[] properties = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && IsBindable(p.PropertyType))];
        string known = string.Join(", ", properties.Select(p => p.Name));
        foreach (IConfigurationSection child in section.GetChildren())
        {
            PropertyInfo? property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                unknown.Add((child.Path, known));
                continue;
            }

            Type target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (ElementOf(target) is { } element)
            {
                foreach (IConfigurationSection item in child.GetChildren())
                {
                    CheckValue(item, element, invalid);
                }

                CheckValue(child, null, invalid);
            }
            else if (IsScalar(target))
            {
                CheckValue(child, target, invalid);
            }
            else
            {
                Walk(child, target, unknown, invalid);
            }
        }
    }

    /// <summary>A value that must parse as <paramref name="type"/> (null: a list, whose own value must be empty).</summary>
    private static void CheckValue(IConfigurationSection item, Type? type, List<string> invalid)
    {
        string? text = item.Value;
        if (text is null || type is null || type == typeof(string))
        {
            return;
        }

        Type target = Nullable.GetUnderlyingType(type) ?? type;
        bool ok = target.IsEnum
            ? Enum.GetNames(target).Any(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase))
            : target == typeof(bool) ? bool.TryParse(text, out _)
            : target == typeof(int) ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : target == typeof(long) ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : target == typeof(float) ? float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            : target == typeof(double) ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            : target == typeof(byte) ? byte.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : true;
        if (!ok)
        {
            invalid.Add(target.IsEnum
                ? $"{item.Path} is '{text}'; use one of: {string.Join(", ", Enum.GetNames(target))}."
                : $"{item.Path} is '{text}', which is not a valid {target.Name}.");
        }
    }

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal);

    private static Type? ElementOf(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string) ? type.GetGenericArguments()[0]
        : null;

    /// <summary>What configuration can set: scalars, lists of scalars, and option classes with a public parameterless constructor (not delegates, interfaces or code-only objects).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only asks whether an options property's type has a parameterless constructor; the binder's generated code creates those it binds, which keeps the constructors.")]
    private static bool IsBindable(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(target))
        {
            return true;
        }

        if (ElementOf(target) is { } element)
        {
            return IsScalar(Nullable.GetUnderlyingType(element) ?? element);
        }

        return target.IsClass && !typeof(Delegate).IsAssignableFrom(target) && target.GetConstructor(Type.EmptyTypes) is not null;
    }
}
