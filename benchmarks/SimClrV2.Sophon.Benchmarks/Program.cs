using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

// Usage: dotnet run -c Release --project benchmarks/SimClrV2.Sophon.Benchmarks -- [--quick] [BenchmarkDotNet args]
//   --quick                      short runs (3 warmups, 3 iterations) for a fast look
//   --filter '*Preprocess*'      one stage; --filter '*' for all
// Exits 1 when any benchmark failed to build or run (an 'NA' row), so scripts and CI see it.
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
// DefaultConfig already exports GitHub-flavoured markdown (and CSV/HTML) to BenchmarkDotNet.Artifacts/results.
// The build of each benchmark's project gets 15 minutes (BenchmarkDotNet's default is 120 s, which a
// loaded 2-core machine or a slow arm64 board exceeds).
IConfig config = DefaultConfig.Instance
    .AddJob(quick ? Job.ShortRun : Job.Default)
    .WithBuildTimeout(TimeSpan.FromMinutes(15));
Summary[] summaries = [.. BenchmarkSwitcher.FromAssembly(typeof(SimClrV2.Sophon.Benchmarks.PreprocessBenchmarks).Assembly).Run(rest, config)];
string[] failures =
[
    .. summaries.Where(s => s.HasCriticalValidationErrors).Select(s => $"{s.Title}: {string.Join("; ", s.ValidationErrors.Select(e => e.Message))}"),
    .. summaries.SelectMany(s => s.Reports).Where(r => !r.Success).Select(r => $"{r.BenchmarkCase.DisplayInfo}: {(r.BuildResult.IsBuildSuccess ? "failed to run" : "failed to build")}"),
];
foreach (string failure in failures)
{
    Console.Error.WriteLine($"error: benchmark {failure}");
}

return failures.Length == 0 ? 0 : 1;
