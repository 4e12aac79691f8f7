using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using StackExchange.Redis;

namespace SimClrV2.Sophon.Tests.Worker;

/// <summary>
/// The worker sample against a real Redis (Debian's redis-server on a free loopback port): two
/// workers share 1,000 CIFAR-10 jobs (5 of them enqueued twice), one is killed mid-run while it
/// holds jobs, and every job still has exactly one result, the same as a direct run's.
/// </summary>
[Category("Redis")]
public class RedisWorkerTests
{
    private const string RedisServer = "/usr/bin/redis-server";
    private const int Jobs = 1000;

    [Test]
    [CancelAfter(180_000)]
    public async Task TwoWorkersOneKilledEveryJobHasExactlyOneResult(CancellationToken cancellationToken)
    {
        if (!File.Exists(RedisServer))
        {
            Assert.Ignore($"{RedisServer} is not installed (Debian's redis-server; .ci/run installs it).");
        }

        using var dir = new TempDir();
        int port = FreePort();
        using Process redis = Start(RedisServer, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], null, null);
        var logs = new ConcurrentQueue<string>();
        Process? first = null, second = null;
        try
        {
            string endpoint = $"127.0.0.1:{port}";
            using ConnectionMultiplexer connection = await Connect(endpoint, cancellationToken);
            IDatabase db = connection.GetDatabase();
            // The CIFAR-10 test set's first 1,000 images (../shared), else a CIFAR-format file made now.
            string real = Path.Combine(TestData.CifarDir, "test_batch.bin");
            string data = File.Exists(real) ? real : TestData.WriteCifarBinary(dir.File("jobs.bin"), Jobs, seed: 11);
            ChildProcess.Result enqueue = ChildProcess.Run("simclrv2-worker.dll", TimeSpan.FromMinutes(1), "enqueue", "--redis", endpoint, "--input", data, "--count", Jobs.ToString(CultureInfo.InvariantCulture));
            Assert.That(enqueue.Out, Does.Contain($"enqueued {Jobs} job(s)"), enqueue.Err);

            // The first 5 jobs again, with the same job ids (a producer that retried): run twice, written once.
            ChildProcess.Result again = ChildProcess.Run("simclrv2-worker.dll", TimeSpan.FromMinutes(1), "enqueue", "--redis", endpoint, "--input", data, "--count", "5");
            Assert.That(again.Out, Does.Contain("enqueued 5 job(s)"), again.Err);

            // Killed while it holds jobs it has read but not acknowledged. It may acknowledge its batch
            // between the check and the kill; then nothing was left to claim, so another worker takes
            // its place and is killed the same way, until one dies holding jobs.
            string killed = string.Empty;
            for (int attempt = 1; killed.Length == 0; attempt++)
            {
                Assert.That(attempt, Is.LessThanOrEqualTo(5), "no worker could be killed while it held jobs");
                string name = $"w1-{attempt}";
                first = StartWorker(endpoint, name, logs);
                second ??= StartWorker(endpoint, "w2", logs);
                long before = attempt == 1 ? 100 : 0;
                await WaitFor(
                    async () => (await db.StreamLengthAsync("simclrv2:results") >= before
                            && (await db.StreamPendingMessagesAsync("simclrv2:jobs", "simclrv2-workers", 1, name)).Length > 0)
                        || await db.StreamLengthAsync("simclrv2:results") >= Jobs,
                    cancellationToken);
                first.Kill(entireProcessTree: true);
                await first.WaitForExitAsync(cancellationToken);
                first.Dispose();
                first = null;
                killed = (await db.StreamPendingMessagesAsync("simclrv2:jobs", "simclrv2-workers", 1, name)).Length > 0 ? name : string.Empty;
            }

            long atKill = await db.StreamLengthAsync("simclrv2:results");
            await WaitFor(async () => await db.SetLengthAsync("simclrv2:results:done") >= Jobs && (await db.StreamPendingAsync("simclrv2:jobs", "simclrv2-workers")).PendingMessageCount == 0, cancellationToken);

            StreamEntry[] results = await db.StreamRangeAsync("simclrv2:results");
            var byJob = results.GroupBy(r => r["job"].ToString()).ToDictionary(g => g.Key, g => g.ToList());
            Assert.That(await db.StreamLengthAsync("simclrv2:jobs"), Is.EqualTo(Jobs + 5), "the duplicates were delivered too");
            Assert.That(byJob, Has.Count.EqualTo(Jobs), "every job has a result");
            Assert.That(byJob.Values.Where(v => v.Count > 1).Select(v => v[0]["job"].ToString()), Is.Empty, "no job has two");
            Assert.That(atKill, Is.LessThan(Jobs), "the worker was killed mid-run");
            // The line comes through the worker's asynchronous console logger and a pipe, and may trail the
            // results it logs about: wait for it (bounded by the test's CancelAfter), then check it.
            await WaitFor(() => Task.FromResult(logs.Any(l => l.Contains("Claimed", StringComparison.Ordinal))), cancellationToken);
            Assert.That(logs, Has.Some.Contains("Claimed"), "the surviving worker claimed the jobs the killed one held");

            using ImageClassifier direct = OnnxImageClassifier.Create(new OnnxClassifierOptions());
            Dictionary<string, Prediction> expected = direct.Classify(CifarDataset.ReadBinary(data).ToInputs().Take(Jobs)).ToDictionary(p => p.Source);
            foreach (StreamEntry r in results)
            {
                Prediction e = expected[r["filename"].ToString()];
                Assert.That((int)r["prediction"], Is.EqualTo(e.ClassIndex), r["filename"].ToString());
                Assert.That(float.Parse(r["score"].ToString(), CultureInfo.InvariantCulture), Is.EqualTo(e.Score).Within(1e-5f));
            }

            TestContext.Progress.WriteLine($"redis worker: {Jobs} jobs from {Path.GetFileName(data)}, {atKill} results when {killed} was killed holding jobs, results by the killed workers {results.Count(r => r["worker"].ToString().StartsWith("w1", StringComparison.Ordinal))}, by w2 {results.Count(r => r["worker"] == "w2")}");
        }
        finally
        {
            foreach (Process? p in new[] { first, second, redis })
            {
                if (p is { HasExited: false })
                {
                    p.Kill(entireProcessTree: true);
                }

                p?.Dispose();
            }
        }
    }

    private static Process StartWorker(string endpoint, string name, ConcurrentQueue<string> logs) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "simclrv2-worker.dll")], new Dictionary<string, string>
        {
            ["Worker__Redis"] = endpoint,
            ["Worker__Consumer"] = name,
            ["Worker__BatchSize"] = "8",
            ["Worker__ClaimIdleSeconds"] = "2",
            ["Classifier__IntraOpNumThreads"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__SimClrV2.Worker"] = "Information",
        }, logs);

    private static Process Start(string program, string[] args, Dictionary<string, string>? environment, ConcurrentQueue<string>? logs)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { logs?.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { logs?.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<ConnectionMultiplexer> Connect(string endpoint, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await ConnectionMultiplexer.ConnectAsync(endpoint);
            }
            catch (RedisConnectionException) when (attempt < 50)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static async Task WaitFor(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
