using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Usage: dotnet run -c Release --project benchmarks/SimClrV2.Sophon.Benchmarks -- [--quick] [BenchmarkDotNet args]
//   --quick                      short runs (3 warmups, 3 iterations) for a fast look
//   --filter '*Preprocess*'      one stage; --filter '*' for all
bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
// DefaultConfig already exports GitHub-flavoured markdown (and CSV/HTML) to BenchmarkDotNet.Artifacts/results.
IConfig config = DefaultConfig.Instance.AddJob(quick ? Job.ShortRun : Job.Default);
BenchmarkSwitcher.FromAssembly(typeof(SimClrV2.Sophon.Benchmarks.PreprocessBenchmarks).Assembly).Run(rest, config);
