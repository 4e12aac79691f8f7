using System.Diagnostics;
using System.Globalization;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using StackExchange.Redis;

namespace SimClrV2.Sophon.Tests.Worker;

/// <summary>The worker unattended, against a real redis-server on loopback: Redis restarted or its stream deleted mid-run, slow batches, memory.</summary>
[Category("Redis")]
public class RedisRecoveryTests
{
    private const string Jobs = "simclrv2:jobs";
    private const string Results = "simclrv2:results";
    private const string Group = "simclrv2-workers";

    [Test]
    [CancelAfter(180_000)]
    public async Task RedisKilledAndRestartedMidRunTheWorkersCarryOnAndEveryJobGetsExactlyOneResult(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        string data = dir.File("redis");
        Directory.CreateDirectory(data);
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken, data);
        IDatabase db = redis.Db;
        Enqueue(redis.Endpoint, Cifar(dir, 400), 400);
        redis.StartWorker("w1");
        redis.StartWorker("w2");
        await RedisHost.WaitFor(async () => await db.StreamLengthAsync(Results) >= 100, cancellationToken);

        await redis.RestartRedisAsync(TimeSpan.FromSeconds(3), cancellationToken);

        await RedisHost.WaitFor(async () => await Answered(db) >= 400 && await Pending(db) == 0, cancellationToken);
        StreamEntry[] results = await db.StreamRangeAsync(Results);
        Assert.That(results.GroupBy(r => r["job"].ToString()).Select(g => g.Count()), Has.Exactly(400).EqualTo(1), "every job exactly one result");
        Assert.That(redis.Workers.Select(w => w.HasExited), Is.All.False, "both workers carried on");
        Assert.That(redis.Logs, Has.Some.Contains("retrying in"), "they waited for Redis, saying so");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task TheJobsStreamDeletedMidRunIsRecreatedAndLaterJobsAreAnswered(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        string cifar = Cifar(dir, 200);
        Enqueue(redis.Endpoint, cifar, 200);
        Process worker = redis.StartWorker("w1");
        await RedisHost.WaitFor(async () => await db.StreamLengthAsync(Results) >= 20, cancellationToken);

        await db.KeyDeleteAsync(Jobs);
        await Task.Delay(500, cancellationToken);
        long before = await db.StreamLengthAsync(Results);
        Enqueue(redis.Endpoint, cifar, 50);

        await RedisHost.WaitFor(async () => await db.StreamLengthAsync(Results) >= before + 50 && await db.StreamLengthAsync(Jobs) == 0, cancellationToken);
        Assert.That(worker.HasExited, Is.False, "the worker carried on");
        Assert.That(redis.Logs, Has.Some.Contains("NOGROUP"), "it met the missing group and recreated it");
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task ABatchSlowerThanTheClaimTimeIsNotTakenOverByAnotherWorker(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        string photos = BigJpegs(dir.File("photos"), 64);
        Enqueue(redis.Endpoint, photos, 64);

        // One batch of 64 24-megapixel photos decoded at full size on one thread takes seconds (longer
        // than the second worker takes to start); the claim time is 1 s. The second worker has
        // nothing else to do: it polls, and would claim the batch if its claim were not refreshed.
        var slow = new Dictionary<string, string>
        {
            ["Worker__BatchSize"] = "64",
            ["Worker__ClaimIdleSeconds"] = "1",
            ["Classifier__DecodeThreads"] = "1",
            ["Classifier__Decode__ReducedJpegDecode"] = "false",
        };
        redis.StartWorker("w1", slow);
        await RedisHost.WaitFor(async () => await Pending(db) > 0, cancellationToken); // w1 holds its batch
        redis.StartWorker("w2", slow);

        await RedisHost.WaitFor(async () => await Answered(db) >= 64 && await Pending(db) == 0, cancellationToken);
        StreamEntry[] results = await db.StreamRangeAsync(Results);
        Assert.That(results.GroupBy(r => r["job"].ToString()).Select(g => g.Count()), Has.Exactly(64).EqualTo(1), "every job exactly one result");
        Assert.That(results.Select(r => r["error"].ToString()), Is.All.Empty, "every photo classified");
        Assert.That(redis.Logs, Has.None.Contains("Claimed"), "no live worker's batch was claimed");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task AJobDeliveredTooOftenWithoutAnAnswerIsDeadLetteredAndTheOthersAreAnswered(CancellationToken cancellationToken)
    {
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        byte[] png = await File.ReadAllBytesAsync(Path.Combine(TestData.SampleImages, "horse.png"), cancellationToken);
        await db.StreamCreateConsumerGroupAsync(Jobs, Group, StreamPosition.Beginning, createStream: true);
        await db.StreamAddAsync(Jobs, [new("job", "poison-1"), new("name", "poison.png"), new("image", png)]);

        // A job that took down every worker that ran it: read, then claimed again and again by dead consumers.
        StreamEntry[] read = await db.StreamReadGroupAsync(Jobs, Group, "ghost", StreamPosition.NewMessages, 1);
        for (int i = 0; i < 2; i++)
        {
            await db.StreamClaimAsync(Jobs, Group, $"ghost{i}", 0, [read[0].Id]);
        }

        await db.StreamAddAsync(Jobs, [new("job", "fine-1"), new("name", "horse.png"), new("image", png)]);
        await Task.Delay(1200, cancellationToken); // idle past the claim time
        redis.StartWorker("w1", new() { ["Worker__ClaimIdleSeconds"] = "1", ["Worker__MaxDeliveries"] = "3" });

        await RedisHost.WaitFor(async () => await db.StreamLengthAsync(Jobs + ":dead") == 1 && await Answered(db) == 1 && await db.StreamLengthAsync(Jobs) == 0, cancellationToken);
        StreamEntry dead = (await db.StreamRangeAsync(Jobs + ":dead")).Single();
        Assert.That((dead["job"].ToString(), dead["name"].ToString(), (int)dead["deliveries"]), Is.EqualTo(("poison-1", "poison.png", 4)));
        Assert.That(dead["error"].ToString(), Does.Contain("delivered 4 times without an answer"));
        Assert.That((await db.StreamRangeAsync(Results)).Single()["job"].ToString(), Is.EqualTo("fine-1"));
        Assert.That(await Pending(db), Is.Zero, "the poison job was acknowledged");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task HealthReadinessAndMetricsAreServedOnTheConfiguredPort(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        int http = RedisHost.FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(10) };
        async Task<int> Status(string path)
        {
            try
            {
                using HttpResponseMessage response = await client.GetAsync(path, cancellationToken);
                return (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        }

        redis.StartWorker("w1", new() { ["Worker__HttpPort"] = http.ToString(CultureInfo.InvariantCulture) });
        await RedisHost.WaitFor(async () => await Status("/readyz") == 200, cancellationToken);
        Enqueue(redis.Endpoint, Cifar(dir, 20), 20);
        await RedisHost.WaitFor(async () => await Answered(db) >= 20, cancellationToken);

        string metrics = string.Empty;
        await RedisHost.WaitFor(
            async () => System.Text.RegularExpressions.Regex.IsMatch(metrics = await client.GetStringAsync("/metrics", cancellationToken), @"simclrv2_worker_jobs_answered_total\{[^}]*outcome=""ok""[^}]*\} 20\b"),
            cancellationToken);
        Assert.That(metrics, Does.Contain("simclrv2_worker_queue_pending").And.Contain("simclrv2_worker_queue_oldest_pending_age_seconds").And.Contain("simclrv2_images_total"), "the queue gauges and the library's own meter");

        await redis.KillRedisAsync(cancellationToken);
        await RedisHost.WaitFor(async () => await Status("/readyz") == 503, cancellationToken);
        Assert.That(await Status("/healthz"), Is.EqualTo(200), "alive while Redis is away: a restart would not help");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task RedisAtMaxMemoryHoldsTheAnswersUntilMemoryFreesThenEveryJobGetsOne(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        Enqueue(redis.Endpoint, Cifar(dir, 100), 100);
        long used = long.Parse((await db.ExecuteAsync("MEMORY", "STATS")).ToDictionary()["total.allocated"].ToString(), CultureInfo.InvariantCulture);
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", (used / 2).ToString(CultureInfo.InvariantCulture)); // full: every write is refused (OOM)
        Process worker = redis.StartWorker("w1");
        await RedisHost.WaitFor(() => Task.FromResult(redis.Logs.Any(l => l.Contains("OOM", StringComparison.Ordinal))), cancellationToken);
        Assert.That(await Answered(db), Is.Zero, "nothing is written while Redis is full");

        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
        await RedisHost.WaitFor(async () => await Answered(db) >= 100 && await db.StreamLengthAsync(Jobs) == 0, cancellationToken);
        StreamEntry[] results = await db.StreamRangeAsync(Results);
        Assert.That(results.GroupBy(r => r["job"].ToString()).Select(g => g.Count()), Has.Exactly(100).EqualTo(1), "every job exactly one result");
        Assert.That(worker.HasExited, Is.False);
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task TenThousandJobsLeaveNothingButTheCappedResultsBehind(CancellationToken cancellationToken)
    {
        using var dir = new TempDir();
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        var settings = new Dictionary<string, string> { ["Worker__BatchSize"] = "32", ["Worker__ResultsMaxLength"] = "100", ["Worker__DoneTtlSeconds"] = "2" };
        redis.StartWorker("w1", settings);
        redis.StartWorker("w2", settings);
        await RedisHost.WaitFor(async () => await Pending(db) == 0, cancellationToken); // the group exists
        long start = await SettledMemory(db, cancellationToken);

        string cifar = TestData.WriteCifarBinary(dir.File("jobs.bin"), 10_000, seed: 9);
        Enqueue(redis.Endpoint, cifar, 10_000);
        await RedisHost.WaitFor(async () => await db.StreamLengthAsync(Jobs) == 0 && await Pending(db) == 0, cancellationToken);
        await RedisHost.WaitFor(async () => (long)await db.ExecuteAsync("DBSIZE") == 3, cancellationToken); // the done markers expire (their set goes)

        long keys = 0;
        foreach (string key in new[] { Jobs, Results, Results + ":workers" })
        {
            keys += (long)await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        }

        long end = await SettledMemory(db, cancellationToken);
        TestContext.Progress.WriteLine($"redis after 10,000 jobs: the keys hold {keys / 1024.0:F0} KiB (results kept: {await Answered(db)}); used memory {start / 1024.0:F0} KiB before, {end / 1024.0:F0} KiB after ({(end - start) * 100.0 / start:+0.0;-0.0}%)");
        Assert.That(keys, Is.LessThan(64 * 1024), "answered jobs deleted, results capped, done markers expired");
        Assert.That(end, Is.LessThan(start * 1.1), "memory back within 10 % of where it started");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task AMalformed300MegabyteEntryIsAnsweredWithAnErrorAndItsMemoryIsGivenBack(CancellationToken cancellationToken)
    {
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        Process worker = redis.StartWorker("w1");
        byte[] png = await File.ReadAllBytesAsync(Path.Combine(TestData.SampleImages, "horse.png"), cancellationToken);
        await RedisHost.WaitFor(async () => await Pending(db) == 0, cancellationToken); // the group exists
        long start = await SettledMemory(db, cancellationToken);

        // Not an image, and over the decoder's 256 MiB limit: refused unread, the entry deleted with its answer.
        await db.StreamAddAsync(Jobs, [new("job", "huge-1"), new("name", "huge.png"), new("image", new byte[300 * 1024 * 1024])]);
        await db.StreamAddAsync(Jobs, [new("job", "fine-1"), new("name", "horse.png"), new("image", png)]);
        await RedisHost.WaitFor(async () => await Answered(db) == 2 && await db.StreamLengthAsync(Jobs) == 0, cancellationToken);
        Dictionary<string, StreamEntry> results = (await db.StreamRangeAsync(Results)).ToDictionary(r => r["job"].ToString());
        Assert.That(results["huge-1"]["error"].ToString(), Does.Contain("MaxEncodedBytes"), "refused by size, unread");
        Assert.That(((int)results["fine-1"]["prediction"], results["fine-1"]["error"].IsNull), Is.EqualTo((7, true)), "the entry beside it is answered as usual (7: horse)");

        long end = await SettledMemory(db, cancellationToken);
        TestContext.Progress.WriteLine($"redis and a 300 MB entry: used memory {start / 1024.0:F0} KiB before, {end / 1024.0:F0} KiB after it was answered");
        Assert.That(end, Is.LessThan(start * 1.1), "the entry's 300 MB freed with its answer");
        Assert.That(worker.HasExited, Is.False);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task AtFortyJobsASecondTheNinetyNinthPercentileLatencyIsUnderAHundredAndFiftyMilliseconds(CancellationToken cancellationToken)
    {
        using RedisRun redis = await RedisRun.StartAsync(cancellationToken);
        IDatabase db = redis.Db;
        redis.StartWorker("w1");
        await RedisHost.WaitFor(async () => await Pending(db) == 0, cancellationToken);
        byte[] png = await File.ReadAllBytesAsync(Path.Combine(TestData.SampleImages, "horse.png"), cancellationToken);
        await db.StreamAddAsync(Jobs, [new("job", Guid.CreateVersion7().ToString()), new("name", "warm.png"), new("image", png)]);
        await RedisHost.WaitFor(async () => await Answered(db) == 1, cancellationToken);

        // 400 jobs, one every 25 ms (40 jobs/s); a job's UUIDv7 holds when it was sent, its result's stream id when it was answered.
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 400; i++)
        {
            await db.StreamAddAsync(Jobs, [new("job", Guid.CreateVersion7().ToString()), new("name", $"j{i}.png"), new("image", png)]);
            TimeSpan next = TimeSpan.FromMilliseconds(25 * (i + 1)) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, cancellationToken);
            }
        }

        await RedisHost.WaitFor(async () => await Answered(db) >= 401, cancellationToken);
        double[] latencies = [.. (await db.StreamRangeAsync(Results)).Skip(1).Select(r => (double)(Milliseconds(r.Id) - Milliseconds(Guid.Parse(r["job"].ToString())))).Order()];
        double p99 = latencies[(int)Math.Ceiling(0.99 * latencies.Length) - 1];
        TestContext.Progress.WriteLine($"latency at 40 jobs/s: median {latencies[latencies.Length / 2]:F0} ms, p99 {p99:F0} ms, max {latencies[^1]:F0} ms");
        Assert.That(p99, Is.LessThanOrEqualTo(150));
    }

    private static long Milliseconds(RedisValue streamId) => long.Parse(streamId.ToString().Split('-')[0], CultureInfo.InvariantCulture);

    /// <summary>A UUIDv7's time: its first 48 bits, Unix milliseconds.</summary>
    private static long Milliseconds(Guid uuid7) => Convert.ToInt64(uuid7.ToString("N")[..12], 16);

    /// <summary>
    /// Used memory once client buffers have shrunk back (Redis resizes them in its once-a-second client
    /// cron): the lowest of five readings a second apart. Each reading follows CONFIG RESETSTAT: Redis 7
    /// keeps a latency histogram per command name (latency-tracking, on by default), made on the
    /// command's first use and kept: about 270 KiB for the commands a worker sends, a fixed cost of
    /// which commands ran (not of how many jobs), which would otherwise count against the first reading.
    /// </summary>
    private static async Task<long> SettledMemory(IDatabase db, CancellationToken cancellationToken)
    {
        long lowest = long.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            await db.ExecuteAsync("CONFIG", "RESETSTAT");
            lowest = Math.Min(lowest, await UsedMemory(db));
            await Task.Delay(1000, cancellationToken);
        }

        return lowest;
    }

    private static async Task<long> UsedMemory(IDatabase db)
    {
        string info = (await db.ExecuteAsync("INFO", "memory")).ToString();
        string line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> Answered(IDatabase db) => await db.StreamLengthAsync(Results);

    private static async Task<long> Pending(IDatabase db)
    {
        try
        {
            return (await db.StreamPendingAsync(Jobs, Group)).PendingMessageCount;
        }
        catch (RedisServerException)
        {
            return -1; // no group yet
        }
    }

    private static void Enqueue(string endpoint, string input, int count)
    {
        ChildProcess.Result result = ChildProcess.Run("simclrv2-worker.dll", TimeSpan.FromMinutes(1), "enqueue", "--redis", endpoint, "--input", input, "--count", count.ToString(CultureInfo.InvariantCulture));
        Assert.That(result.Out, Does.Contain($"enqueued {count} job(s)"), result.Err);
    }

    /// <summary>The CIFAR-10 test set's binary file (../shared), else a CIFAR-format file made now.</summary>
    private static string Cifar(TempDir dir, int count)
    {
        string real = Path.Combine(TestData.CifarDir, "test_batch.bin");
        return File.Exists(real) ? real : TestData.WriteCifarBinary(dir.File("jobs.bin"), count, seed: 5);
    }

    /// <summary>Copies of one 6000 x 4000 JPEG (a smooth pattern: a small file) under different names: slow to decode at full size, made once.</summary>
    private static string BigJpegs(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        using (var image = new Image<Rgb24>(6000, 4000))
        {
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                {
                    Span<Rgb24> row = rows.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++)
                    {
                        row[x] = new Rgb24((byte)(x / 24), (byte)(y / 16), (byte)((x + y) / 40));
                    }
                }
            });
            image.SaveAsJpeg(Path.Combine(folder, "p000.jpg"), new JpegEncoder { Quality = 90 });
        }

        for (int i = 1; i < count; i++)
        {
            File.Copy(Path.Combine(folder, "p000.jpg"), Path.Combine(folder, $"p{i:D3}.jpg"));
        }

        return folder;
    }
}
