using System.Globalization;
using Microsoft.Extensions.Options;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using StackExchange.Redis;

namespace SimClrV2.Worker;

/// <summary>
/// Reads jobs from the jobs stream as one consumer of the group, classifies them in batches and
/// answers each in one script: the result (once per job id: a done marker that expires, in one sorted set), the
/// acknowledgement and the job's deletion, so nothing answered stays in Redis. Jobs another consumer
/// left pending longer than <see cref="WorkerOptions.ClaimIdleSeconds"/> (a dead worker) are claimed
/// first (XAUTOCLAIM); while a batch runs, its claim is refreshed so a live worker's batch is never
/// taken over. A Redis error that can pass (a lost connection, a restart, the stream or group
/// deleted, Redis out of memory) is retried with backoff and the batch answered when Redis is back;
/// any other error stops the worker with exit code 1. A job delivered more than
/// <see cref="WorkerOptions.MaxDeliveries"/> times without an answer (it stops or hangs its workers,
/// or its inference keeps failing: such errors are retried, an image's own errors are answered at
/// once) goes to the dead-letter stream with its last error.
/// </summary>
public sealed partial class ClassificationWorker(
    IConnectionMultiplexer redis, IImageClassifier classifier, IOptions<WorkerOptions> options, WorkerTelemetry telemetry, ILogger<ClassificationWorker> logger, IHostApplicationLifetime lifetime) : BackgroundService
{
    // KEYS[1] done markers (a sorted set: job id -> when the marker expires), KEYS[2] results stream, KEYS[3] jobs stream.
    // ARGV: job, filename, prediction, score, worker, error ("" for none), group, entry id, done TTL seconds, results max length.
    // Expired markers are dropped on the way; the set disappears when it empties, and its memory with it.
    private const string Answer = """
        local t = redis.call('TIME')
        local now = tonumber(t[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[9]), ARGV[1])
          if ARGV[6] == '' then
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*', 'job', ARGV[1], 'filename', ARGV[2], 'prediction', ARGV[3], 'score', ARGV[4], 'worker', ARGV[5])
          else
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*', 'job', ARGV[1], 'filename', ARGV[2], 'prediction', ARGV[3], 'score', ARGV[4], 'worker', ARGV[5], 'error', ARGV[6])
          end
        end
        redis.call('XACK', KEYS[3], ARGV[7], ARGV[8])
        redis.call('XDEL', KEYS[3], ARGV[8])
        return 1
        """;

    // KEYS[1] dead-letter stream, KEYS[2] jobs stream, KEYS[3] the job's last error.
    // ARGV: job, name, deliveries, group, entry id, the error when none was recorded.
    private const string DeadLetter = """
        local last = redis.call('GET', KEYS[3])
        redis.call('XADD', KEYS[1], '*', 'job', ARGV[1], 'name', ARGV[2], 'deliveries', ARGV[3], 'error', last or ARGV[6])
        redis.call('XACK', KEYS[2], ARGV[4], ARGV[5])
        redis.call('XDEL', KEYS[2], ARGV[5])
        redis.call('DEL', KEYS[3])
        return 1
        """;

    private readonly WorkerOptions _options = options.Value;
    private readonly string _consumer = options.Value.Consumer ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Not an error that passes: stop the host and say so in the exit code (a supervisor restarts it).
            LogFatal(logger, ex);
            telemetry.Running = false;
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        IDatabase db = redis.GetDatabase();
        await Retry.RunAsync(() => EnsureGroupAsync(db), "creating the consumer group", logger, stoppingToken).ConfigureAwait(false);
        LogStarted(logger, _consumer, _options.JobsStream, _options.Group);
        telemetry.Running = true;
        var idle = new IdleBackoff(TimeSpan.FromMilliseconds(_options.IdlePollMinMs), TimeSpan.FromMilliseconds(_options.IdlePollMaxMs));
        while (!stoppingToken.IsCancellationRequested)
        {
            StreamEntry[] jobs = await Retry.RunAsync(() => NextJobsAsync(db), "reading jobs", logger, stoppingToken, () => EnsureGroupAsync(db)).ConfigureAwait(false);
            if (jobs.Length == 0)
            {
                await Task.Delay(idle.Next(), stoppingToken).ConfigureAwait(false);
                continue;
            }

            idle.Reset();
            IReadOnlyList<Prediction> predictions = await ClassifyHoldingClaimAsync(db, jobs, stoppingToken).ConfigureAwait(false);
            for (int i = 0; i < jobs.Length; i++)
            {
                StreamEntry job = jobs[i];
                Prediction p = predictions[i];
                if (p.ErrorKind == PredictionErrorKind.Inference)
                {
                    // Transient (the engine or the device failed, not the image): left pending, so it is
                    // claimed and run again; after MaxDeliveries it is dead-lettered with this error.
                    await Retry.RunAsync(() => db.StringSetAsync(LastErrorKey(job), p.Error, TimeSpan.FromSeconds(_options.DoneTtlSeconds)), "recording an error", logger, CancellationToken.None).ConfigureAwait(false);
                    continue;
                }

                await Retry.RunAsync(() => AnswerAsync(db, job, p), "answering a job", logger, CancellationToken.None).ConfigureAwait(false);
                telemetry.Answered(p.Succeeded ? "ok" : p.ErrorKind.ToString());
            }

            await Retry.RunAsync(() => db.HashSetAsync(_options.ResultsStream + ":workers", _consumer, DateTimeOffset.UtcNow.ToUnixTimeSeconds()), "recording the worker", logger, CancellationToken.None).ConfigureAwait(false);
            LogBatch(logger, jobs.Length, predictions.Count(p => !p.Succeeded));
        }
    }

    /// <summary>
    /// Classifies a batch off the host's threads, never cancelled half-way (a job is acknowledged only
    /// with its answer); meanwhile refreshes the claim on its jobs (XCLAIM JUSTID resets their idle
    /// time) every third of the claim time, so no other worker takes over a batch that is still running.
    /// </summary>
    private async Task<IReadOnlyList<Prediction>> ClassifyHoldingClaimAsync(IDatabase db, StreamEntry[] jobs, CancellationToken stoppingToken)
    {
        Task<IReadOnlyList<Prediction>> run = Task.Run(() => classifier.Classify(jobs.Select(Input).ToList()), CancellationToken.None);
        RedisValue[] ids = [.. jobs.Select(j => j.Id)];
        TimeSpan every = TimeSpan.FromMilliseconds(Math.Max(100, _options.ClaimIdleSeconds * 1000 / 3));
        while (await Task.WhenAny(run, Task.Delay(every, CancellationToken.None)).ConfigureAwait(false) != run)
        {
            try
            {
                await db.StreamClaimIdsOnlyAsync(_options.JobsStream, _options.Group, _consumer, 0, ids).ConfigureAwait(false);
            }
            catch (Exception ex) when (Retry.IsTransient(ex))
            {
                // Redis is away: nobody can claim them either; the batch is answered when it is back.
                LogRefreshFailed(logger, ex.Message);
            }
        }

        return await run.ConfigureAwait(false);
    }

    /// <summary>Jobs a dead consumer left (idle past the claim time) first, else new ones.</summary>
    private async Task<StreamEntry[]> NextJobsAsync(IDatabase db)
    {
        StreamAutoClaimResult claimed = await db.StreamAutoClaimAsync(
            _options.JobsStream, _options.Group, _consumer, _options.ClaimIdleSeconds * 1000L, "0-0", _options.BatchSize).ConfigureAwait(false);
        StreamEntry[] entries = [.. claimed.ClaimedEntries.Where(e => !e.IsNull)];
        if (entries.Length > 0)
        {
            LogClaimed(logger, entries.Length);
            return await WithoutPoisonAsync(db, entries).ConfigureAwait(false);
        }

        return await db.StreamReadGroupAsync(_options.JobsStream, _options.Group, _consumer, StreamPosition.NewMessages, _options.BatchSize).ConfigureAwait(false);
    }

    /// <summary>The claimed jobs delivered at most <see cref="WorkerOptions.MaxDeliveries"/> times; the others are dead-lettered.</summary>
    private async Task<StreamEntry[]> WithoutPoisonAsync(IDatabase db, StreamEntry[] claimed)
    {
        StreamPendingMessageInfo[] pending = await db.StreamPendingMessagesAsync(
            _options.JobsStream, _options.Group, claimed.Length * 2, _consumer, claimed.Min(e => e.Id), claimed.Max(e => e.Id)).ConfigureAwait(false);
        var deliveries = pending.ToDictionary(p => p.MessageId.ToString(), p => p.DeliveryCount);
        var keep = new List<StreamEntry>(claimed.Length);
        foreach (StreamEntry job in claimed)
        {
            int count = deliveries.GetValueOrDefault(job.Id.ToString());
            if (count <= _options.MaxDeliveries)
            {
                keep.Add(job);
                continue;
            }

            string id = job["job"].IsNullOrEmpty ? job.Id.ToString() : job["job"].ToString();
            await db.ScriptEvaluateAsync(
                DeadLetter,
                [_options.DeadLetterStream, _options.JobsStream, LastErrorKey(job)],
                [id, job["name"].IsNullOrEmpty ? id : job["name"].ToString(), count, _options.Group, job.Id,
                 $"delivered {count} times without an answer: it may stop or hang the worker that runs it"]).ConfigureAwait(false);
            LogDeadLettered(logger, id, count);
            telemetry.DeadLettered();
        }

        return [.. keep];
    }

    private string LastErrorKey(StreamEntry job) => $"{_options.DoneSet}:error:{(job["job"].IsNullOrEmpty ? job.Id.ToString() : job["job"].ToString())}";

    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(_options.JobsStream, _options.Group, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another worker created it.
        }
    }

    private static ImageInput Input(StreamEntry job)
    {
        string name = job["name"].IsNullOrEmpty ? job.Id.ToString() : job["name"].ToString();
        byte[]? image = job["image"];
        return image is null || image.Length == 0
            ? ImageInput.FromError(name, $"job {job["job"]} has no image", PredictionErrorKind.InvalidInput)
            : ImageInput.FromStream(new MemoryStream(image, writable: false), name);
    }

    private Task<RedisResult> AnswerAsync(IDatabase db, StreamEntry job, Prediction p)
    {
        string id = job["job"].IsNullOrEmpty ? job.Id.ToString() : job["job"].ToString();
        return db.ScriptEvaluateAsync(
            Answer,
            [_options.DoneSet, _options.ResultsStream, _options.JobsStream],
            [id, p.Source, p.ClassIndex, p.Score.ToString("R", CultureInfo.InvariantCulture), _consumer, p.Error ?? string.Empty,
             _options.Group, job.Id, _options.DoneTtlSeconds, _options.ResultsMaxLength]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Consumer} reads {Stream} in group {Group}")]
    private static partial void LogStarted(ILogger logger, string consumer, string stream, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Count} job(s) a stopped worker left")]
    private static partial void LogClaimed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Classified {Count} job(s), {Failed} failed")]
    private static partial void LogBatch(ILogger logger, int count, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the claim on the running batch: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} dead-lettered after {Deliveries} deliveries")]
    private static partial void LogDeadLettered(ILogger logger, string job, int deliveries);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The worker stops: an error that does not pass")]
    private static partial void LogFatal(ILogger logger, Exception exception);
}
