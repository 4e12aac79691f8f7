using System.CommandLine;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>
/// Every option of every command, given each hostile value (non-numeric, overflow, negative, zero,
/// empty, huge): the tool answers with at most one <c>error:</c> line that names the option and the
/// value, exit 2 for a value it does not take, never a stack trace, never the whole help.
/// </summary>
public class CliOptionValueTests
{
    public static IEnumerable<TestCaseData> AllOptions() =>
        CliWalk.Options().Select(o => new TestCaseData(o.Command, o.Option.Name).SetName($"{o.Command} {o.Option.Name}"));

    [TestCaseSource(nameof(AllOptions))]
    public void EveryHostileValueGivesAtMostOneErrorLineNamingIt(string command, string optionName)
    {
        using var dir = new TempDir();
        CliWalk.Prepare(dir);
        Option option = CliWalk.Options().Single(o => o.Command == command && o.Option.Name == optionName).Option;
        bool numeric = option.ValueType == typeof(int) || option.ValueType == typeof(int[]);
        bool text = option.ValueType == typeof(string) || option.ValueType == typeof(string[]);
        (int baseCode, _, string baseErr) = CliRunner.RunIn(dir.Path, CliWalk.BaseArgs(command, dir, optionName));

        foreach (string value in CliWalk.Values)
        {
            string[] args = [.. CliWalk.BaseArgs(command, dir, optionName), optionName, value];
            (int code, _, string stderr) = CliRunner.RunIn(dir.Path, args);
            string[] errors = [.. stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal))];
            string shown = value.Length <= 64 ? $"'{value}'" : $"'{value[..48]}...";
            string what = $"simclrv2 {string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "..." : a))} -> {code}\n{stderr}";

            Assert.That(code, Is.AnyOf(0, 1, 2), what);
            Assert.That(stderr, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at ").And.Not.Contain("internal error"), what);
            Assert.That(stderr, Does.Not.Contain("Usage:").And.Not.Contain("Description:"), "no help dump: " + what);
            Assert.That(errors, Has.Length.AtMost(1), what);
            if (code != 0)
            {
                Assert.That(errors, Has.Length.EqualTo(1), "a failure says why in one error line: " + what);
            }

            bool mustRefuse = (numeric && value != "0") || (text && value.Length == 0);
            bool failsAsTheBaseLineDoes = code == baseCode && stderr == baseErr; // inspect: no bmodel here, whatever the option
            if (mustRefuse || (numeric && code != 0 && !failsAsTheBaseLineDoes))
            {
                Assert.That(code, Is.EqualTo(2), what);
                Assert.That(errors.Single(), Does.Contain(optionName).And.Contain(shown), what);
            }
        }
    }

    [Test]
    public void TheOptionsAreWalkedForEveryCommand()
    {
        string[] commands = [.. CliWalk.Options().Select(o => o.Command).Distinct()];
        Assert.That(commands, Is.EquivalentTo(new[] { "classify", "eval", "report", "embed", "index", "knn", "similar", "inspect", "doctor", "emulate", "bench" }));
        Assert.That(CliWalk.Options().Count(o => o.Option.ValueType == typeof(int)), Is.GreaterThanOrEqualTo(9));
    }

    [TestCase("classify")]
    [TestCase("bench")]
    [TestCase("inspect")]
    [TestCase("doctor")]
    public void DeviceListsAreOneSyntaxEverywhere(string command)
    {
        Option option = CliWalk.Options().Single(o => o.Command == command && o.Option.Name == "--dev-id").Option;
        RootCommand root = SimClrV2.Cli.CliApp.CreateRoot(TextWriter.Null, TextWriter.Null);

        string[] argument = command == "inspect" ? ["x.bmodel"] : [];
        int[]? Parse(params string[] values) => root.Parse([command, .. argument, .. values]) is { Errors.Count: 0 } r ? r.GetValue((Option<int[]>)FindIn(root, command, option.Name)) : null;

        Assert.That(Parse("--dev-id", "0,1,2"), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(Parse("--dev-id", "0", "--dev-id", "1"), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(Parse("--dev_id", "3", "--dev-id", "1,2"), Is.EqualTo(new[] { 3, 1, 2 }));
        Assert.That(Parse(), Is.EqualTo(new[] { 0 }));
        Assert.That(Parse("--dev-id", "0,0"), Is.Null, "an id twice");
        Assert.That(Parse("--dev-id", "0,"), Is.Null);
        Assert.That(Parse("--dev-id", "256"), Is.Null);
    }

    [Test]
    public void ShotCountsAreAListInTheSameSyntax()
    {
        RootCommand root = SimClrV2.Cli.CliApp.CreateRoot(TextWriter.Null, TextWriter.Null);
        int[]? Parse(params string[] values) => root.Parse(["knn", "--input", "x", .. values]) is { Errors.Count: 0 } r ? r.GetValue((Option<int[]>)FindIn(root, "knn", "--shots")) : null;

        Assert.That(Parse("--shots", "1,5,10"), Is.EqualTo(new[] { 1, 5, 10 }));
        Assert.That(Parse("--shots", "10", "--shots", "1"), Is.EqualTo(new[] { 10, 1 }), "in the order given");
        Assert.That(Parse(), Is.EqualTo(new[] { 0 }), "all support images");
        Assert.That(Parse("--shots", "5,5"), Is.Null, "a count twice");
        Assert.That(Parse("--shots", "-1"), Is.Null);
        Assert.That(Parse("--shots", "1,x"), Is.Null);
    }

    private static Option FindIn(RootCommand root, string command, string option) =>
        root.Subcommands.Single(c => c.Name == command).Options.Single(o => o.Name == option);
}
