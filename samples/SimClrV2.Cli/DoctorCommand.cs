using System.CommandLine;
using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;
using static SimClrV2.Cli.Reports.Html;

namespace SimClrV2.Cli;

/// <summary>
/// <c>simclrv2 doctor</c>: first contact with a SOPHON board or PCIe host. Prints each check of
/// <see cref="SophonRuntime.Diagnose"/> as PASS/WARN/FAIL with what to do, and writes doctor.json
/// and a self-contained doctor.html to attach to a bug report. Exit 0 without failures, 1 with.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = CliOptions.FilePath("--model", "A bmodel to launch and to check the device's preprocessing with (its manifest beside it is checked too).");
        var device = CliOptions.Devices("The SOPHON device to check; with several, each is checked and gets its own doctor-devN.json/.html.");
        var sophonLib = CliOptions.FilePath("--sophon-lib", "Folder holding libsophon (default: SIMCLRV2_SOPHON_LIB_DIR, then /opt/sophon/libsophon-current/lib, then the loader's path).");
        var output = CliOptions.FilePath("--output", "Folder for doctor.json and doctor.html (default: the current folder).", false, "-o");
        var command = new Command("doctor", "Check a SOPHON installation: libsophon, the devices and, with --model, a launch, BMCV and JPU against the CPU, the VPP's passes and the manifest. Writes doctor.json and doctor.html.")
        {
            model, device, sophonLib, output,
        };
        command.SetAction(parse => CliErrors.Run(stderr, () =>
        {
            string folder = parse.GetValue(output) ?? ".";
            ReportFiles.RequireFolder(folder, "--output");
            SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = parse.GetValue(sophonLib) });
            string? bmodel = parse.GetValue(model);
            int[] devices = parse.GetValue(device)!;
            int failed = 0;
            foreach (int id in devices)
            {
                SophonDiagnosis diagnosis = SophonRuntime.Diagnose(bmodel, id);
                if (devices.Length > 1)
                {
                    stdout.WriteLine($"device {id}:");
                }

                foreach (SophonCheck check in diagnosis.Checks)
                {
                    stdout.WriteLine($"{Label(check.Status),-4}  {check.Name,-12} {ConsoleText.Printable(check.Detail)}");
                    if (check.Fix is not null)
                    {
                        stdout.WriteLine($"      {string.Empty,-12} what to do: {ConsoleText.Printable(check.Fix)}");
                    }
                }

                Directory.CreateDirectory(folder);
                string name = devices.Length > 1 ? $"doctor-dev{id}" : "doctor";
                string json = Path.Combine(folder, name + ".json"), html = Path.Combine(folder, name + ".html");
                string[] read = bmodel is null ? [] : [bmodel];
                ReportFiles.WriteText(json, "--output", read, diagnosis.ToJson());
                ReportFiles.WriteText(html, "--output", read, ToHtml(diagnosis));
                stdout.WriteLine($"wrote {json} and {html}");
                failed += diagnosis.Checks.Count(c => c.Status == SophonCheckStatus.Fail);
            }

            if (failed > 0)
            {
                stderr.WriteLine($"error: {failed} check(s) failed; each FAIL above says what to do (attach doctor.json to a bug report).");
                return 1;
            }

            return 0;
        }));
        return command;
    }

    private static string Label(SophonCheckStatus status) => status switch
    {
        SophonCheckStatus.Pass => "PASS",
        SophonCheckStatus.Warn => "WARN",
        _ => "FAIL",
    };

    /// <summary>One page, no scripts or external files: the checks as a table, then the facts.</summary>
    internal static string ToHtml(SophonDiagnosis diagnosis)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>simclrv2 doctor</title><style>")
            .Append("body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}")
            .Append(".PASS{background:#dfd}.WARN{background:#ffd}.FAIL{background:#fdd}pre{white-space:pre-wrap;margin:0}</style></head><body>")
            .Append("<h1>simclrv2 doctor</h1><p>")
            .Append(E(diagnosis.HasFailures ? $"{diagnosis.Checks.Count(c => c.Status == SophonCheckStatus.Fail)} check(s) failed." : "No check failed."))
            .Append("</p><table><tr><th>Check</th><th>Result</th><th>Detail</th><th>What to do</th></tr>");
        foreach (SophonCheck check in diagnosis.Checks)
        {
            string label = Label(check.Status);
            page.Append(CultureInfo.InvariantCulture, $"<tr class=\"{label}\"><td>{E(check.Name)}</td><td>{label}</td><td>{E(check.Detail)}</td><td>{E(check.Fix ?? string.Empty)}</td></tr>");
        }

        page.Append("</table><h2>Facts</h2><table>");
        foreach (KeyValuePair<string, string> fact in diagnosis.Facts)
        {
            page.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(fact.Key)}</th><td><pre>{E(fact.Value)}</pre></td></tr>");
        }

        return page.Append("</table></body></html>\n").ToString();
    }
}
