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
    private const int Jobs = 1000;

    [Test]
    [CancelAfter(180_000)]
    public async Task TwoWorkersOneKilledEveryJobHasExactlyOneResult(CancellationToken cancellationToken)
    {
        RedisHost.Require();

        using var dir = new TempDir();
        int port = RedisHost.FreePort();
        using Process redis = RedisHost.StartRedis(port);
        var logs = new ConcurrentQueue<string>();
        Process? first = null, second = null;
        try
        {
            string endpoint = $"127.0.0.1:{port}";
            using ConnectionMultiplexer connection = await RedisHost.Connect(endpoint, cancellationToken);
            IDatabase db = connection.GetDatabase();
            // The CIFAR-10 test set's first 1,000 images (../shared), else a CIFAR-format file made now.
            string real = Path.Combine(TestData.CifarDir, "test_batch.bin");
            string data = File.Exists(real) ? real : TestData.WriteCifarBinary(dir.File("jobs.bin"), Jobs, seed: 11);
            ChildProcess.Result enqueue = ChildProcess.Run("simclrv2-worker.dll", TimeSpan.FromMinutes(1), "enqueue", "--redis", endpoint, "--input", data, "--count", Jobs.ToString(CultureInfo.InvariantCulture));
            Assert.That(enqueue.Out, Does.Contain($"enqueued {Jobs} job(s)"), enqueue.Err);

            // The first 5 images again, with the same names: new jobs (UUID ids), each answered too.
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
                first = RedisHost.StartWorker(endpoint, name, logs);
                second ??= RedisHost.StartWorker(endpoint, "w2", logs);
                long before = attempt == 1 ? 100 : 0;
                await RedisHost.WaitFor(
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
            await RedisHost.WaitFor(async () => await db.StreamLengthAsync("simclrv2:results") >= Jobs + 5 && (await db.StreamPendingAsync("simclrv2:jobs", "simclrv2-workers")).PendingMessageCount == 0, cancellationToken);

            StreamEntry[] results = await db.StreamRangeAsync("simclrv2:results");
            var byJob = results.GroupBy(r => r["job"].ToString()).ToDictionary(g => g.Key, g => g.ToList());
            Assert.That(await db.StreamLengthAsync("simclrv2:jobs"), Is.Zero, "answered jobs are deleted");
            Assert.That(byJob, Has.Count.EqualTo(Jobs + 5), "every job has a result, the same names twice included");
            Assert.That(byJob.Values.Where(v => v.Count > 1).Select(v => v[0]["job"].ToString()), Is.Empty, "no job has two");
            Assert.That(results.GroupBy(r => r["filename"].ToString()).Count(g => g.Count() == 2), Is.EqualTo(5), "the five names sent twice have two results");
            Assert.That(atKill, Is.LessThan(Jobs), "the worker was killed mid-run");
            // The line comes through the worker's asynchronous console logger and a pipe, and may trail the
            // results it logs about: wait for it (bounded by the test's CancelAfter), then check it.
            await RedisHost.WaitFor(() => Task.FromResult(logs.Any(l => l.Contains("Claimed", StringComparison.Ordinal))), cancellationToken);
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
}
