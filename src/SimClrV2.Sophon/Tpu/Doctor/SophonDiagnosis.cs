using System.Text;
using System.Text.Json;

namespace SimClrV2.Sophon.Tpu;

/// <summary>The outcome of one check of <see cref="SophonRuntime.Diagnose"/>.</summary>
public enum SophonCheckStatus
{
    /// <summary>The check passed.</summary>
    Pass = 0,

    /// <summary>Not run, or passed with a caveat: <see cref="SophonCheck.Detail"/> says which.</summary>
    Warn = 1,

    /// <summary>The check failed: <see cref="SophonCheck.Fix"/> says what to do.</summary>
    Fail = 2,
}

/// <summary>One check of a SOPHON installation: its name, outcome, what was measured and, for a failure, what to do.</summary>
public sealed class SophonCheck
{
    internal SophonCheck(string name, SophonCheckStatus status, string detail, string? fix = null)
    {
        Name = name;
        Status = status;
        Detail = detail;
        Fix = fix;
    }

    /// <summary>The check's short name (e.g. <c>libsophon</c>, <c>devices</c>, <c>launch</c>).</summary>
    public string Name { get; }

    /// <summary>Pass, warn or fail.</summary>
    public SophonCheckStatus Status { get; }

    /// <summary>What was found or measured.</summary>
    public string Detail { get; }

    /// <summary>What to do about a failure or a warning; null when there is nothing to do.</summary>
    public string? Fix { get; }
}

/// <summary>
/// What <see cref="SophonRuntime.Diagnose"/> found: facts about the installation (where libsophon
/// was loaded from, its versions, the devices) and the checks with their outcomes. <see cref="ToJson"/>
/// is the file to attach to a bug report (<c>simclrv2 doctor</c> writes it as doctor.json).
/// </summary>
public sealed class SophonDiagnosis
{
    internal SophonDiagnosis(IReadOnlyList<KeyValuePair<string, string>> facts, IReadOnlyList<SophonCheck> checks)
    {
        Facts = facts;
        Checks = checks;
    }

    /// <summary>Facts in the order found (e.g. <c>bmrt</c> with the path it was loaded from, <c>device 0</c> with its chip and memory).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; }

    /// <summary>The checks in the order run.</summary>
    public IReadOnlyList<SophonCheck> Checks { get; }

    /// <summary>Whether any check failed.</summary>
    public bool HasFailures => Checks.Any(c => c.Status == SophonCheckStatus.Fail);

    /// <summary>The diagnosis as indented JSON: <c>{"facts": {...}, "checks": [{"name", "status", "detail", "fix"}]}</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("tool", "SimClrV2.Sophon");
            json.WriteStartObject("facts");
            foreach (KeyValuePair<string, string> fact in Facts)
            {
                json.WriteString(fact.Key, fact.Value);
            }

            json.WriteEndObject();
            json.WriteStartArray("checks");
            foreach (SophonCheck check in Checks)
            {
                json.WriteStartObject();
                json.WriteString("name", check.Name);
                json.WriteString("status", check.Status.ToString().ToUpperInvariant());
                json.WriteString("detail", check.Detail);
                if (check.Fix is not null)
                {
                    json.WriteString("fix", check.Fix);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
