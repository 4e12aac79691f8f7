using System.Text.Json;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary><c>simclrv2 doctor</c> / <see cref="SophonRuntime.Diagnose"/> on the emulator: all PASS, and under each fault the check it breaks FAILs with what to do.</summary>
public class DoctorTests : EmulatorTestBase
{
    private static readonly string[] ModelChecks = ["launch", "bmcv-tensor", "jpu-decode", "vpp-passes", "manifest"];

    private static SophonCheckStatus StatusOf(SophonDiagnosis diagnosis, string name) => diagnosis.Checks.Single(c => c.Name == name).Status;

    [TestCase("fp32")]
    [TestCase("int8")]
    public void EveryCheckPassesOnTheEmulator(string precision)
    {
        SophonDiagnosis diagnosis = SophonRuntime.Diagnose(Emulator.Model(precision, 4));

        Assert.That(diagnosis.Checks.Select(c => c.Name), Is.EqualTo((string[])["libsophon", "devices", .. ModelChecks]));
        Assert.That(diagnosis.Checks, Has.All.Matches<SophonCheck>(c => c.Status == SophonCheckStatus.Pass), string.Join("\n", diagnosis.Checks.Select(c => $"{c.Status} {c.Name}: {c.Detail}")));
        Assert.That(diagnosis.HasFailures, Is.False);
        Assert.That(diagnosis.Facts.Select(f => f.Key), Does.Contain("bmrt").And.Contain("bmcv version").And.Contain("device 0").And.Contain("bmodel"));
        Assert.That(diagnosis.Checks.Single(c => c.Name == "launch").Detail, Does.Match(@"median \d+\.\d\d ms per launch"));
    }

    [Test]
    public void WithoutABModelTheModelChecksSayHowToRunThem()
    {
        SophonDiagnosis diagnosis = SophonRuntime.Diagnose();

        Assert.That((StatusOf(diagnosis, "libsophon"), StatusOf(diagnosis, "devices")), Is.EqualTo((SophonCheckStatus.Pass, SophonCheckStatus.Pass)));
        Assert.That(diagnosis.Checks.Where(c => ModelChecks.Contains(c.Name)), Has.All.Matches<SophonCheck>(c => c.Status == SophonCheckStatus.Warn && c.Detail.Contains("--model", StringComparison.Ordinal)));
    }

    [TestCase("bm_get_stat:1", "devices")]
    [TestCase("bmrt_launch_tensor_ex:1", "launch")]
    [TestCase("bmcv_image_vpp_basic:1", "bmcv-tensor")]
    [TestCase("bmcv_image_convert_to:1", "bmcv-tensor")]
    [TestCase("bmcv_image_jpeg_dec:1", "jpu-decode")]
    public void AFaultFailsTheCheckItBreaksAndSaysWhatToDo(string fault, string failing)
    {
        Emulator.SetFaults(fault);

        SophonDiagnosis diagnosis = SophonRuntime.Diagnose(Emulator.Model("fp32", 4));

        SophonCheck check = diagnosis.Checks.Single(c => c.Name == failing);
        Assert.That(check.Status, Is.EqualTo(SophonCheckStatus.Fail), check.Detail);
        Assert.That(check.Detail, Does.Contain(fault[..fault.IndexOf(':', StringComparison.Ordinal)]));
        Assert.That(check.Fix, Is.Not.Null.And.Not.Empty);
        Assert.That(diagnosis.Checks.Where(c => c.Status == SophonCheckStatus.Fail).Select(c => c.Name), Is.EqualTo(new[] { failing }), "one fault, one failed check");
    }

    [Test]
    public void NoDeviceFailsTheDeviceCheckAndSkipsTheRest()
    {
        Emulator.SetDevices(0);

        SophonDiagnosis diagnosis = SophonRuntime.Diagnose(Emulator.Model("fp32", 4));

        Assert.That(StatusOf(diagnosis, "devices"), Is.EqualTo(SophonCheckStatus.Fail));
        Assert.That(diagnosis.Checks.Single(c => c.Name == "devices").Fix, Does.Contain("driver"));
        Assert.That(diagnosis.Checks.Where(c => ModelChecks.Contains(c.Name)), Has.All.Matches<SophonCheck>(c => c.Status == SophonCheckStatus.Warn && c.Detail.Contains("checks above failed", StringComparison.Ordinal)));
    }

    [Test]
    public void TheCommandPrintsEachCheckAndWritesJsonAndASelfContainedPage()
    {
        using var dir = new TempDir();

        (int code, string stdout, string stderr) = CliRunner.Run("doctor", "--model", Emulator.Model("int8", 4), "--sophon-lib", Emulator.Folder, "-o", dir.Path);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("PASS  libsophon").And.Contain("PASS  jpu-decode").And.Contain("doctor.json"));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir.File("doctor.json")));
        Assert.That(json.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("status").GetString()), Is.EqualTo(Enumerable.Repeat("PASS", 7)));
        string html = File.ReadAllText(dir.File("doctor.html"));
        Assert.That(html, Does.StartWith("<!DOCTYPE html>").And.Contain("class=\"PASS\"").And.Not.Contain("<script").And.Not.Contain("src=").And.Not.Contain("href="));
    }

    [Test]
    public void AMissingLibsophonIsAFailNamingWhereItLookedAndExitCode1()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("empty"));

        ChildProcess.Result result = ChildProcess.Run("simclrv2.dll", TimeSpan.FromMinutes(1), "doctor", "--sophon-lib", dir.File("empty"), "-o", dir.File("out"));

        Assert.That(result.ExitCode, Is.EqualTo(1), result.Err);
        Assert.That(result.Err.Trim(), Does.StartWith("error: ").And.Contain("check(s) failed"));
        Assert.That(result.Out, Does.Contain("FAIL  libsophon").And.Contain(dir.File("empty")).And.Contain("what to do: Install libsophon"));
        Assert.That(File.ReadAllText(dir.File("out/doctor.json")), Does.Contain("\"status\": \"FAIL\""));
    }
}
