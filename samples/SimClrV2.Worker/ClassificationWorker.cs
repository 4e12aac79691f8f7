using System.Globalization;
using Microsoft.Extensions.Options;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using StackExchange.Redis;

namespace SimClrV2.Worker;

/// <summary>
/// Reads jobs from the jobs stream as one consumer of the group, classifies them in batches and
/// writes each result, then acknowledges the jobs. Jobs another consumer left pending longer than
/// <see cref="WorkerOptions.ClaimIdleSeconds"/> (a dead worker) are claimed first (XAUTOCLAIM). A
/// result is written at most once per job id (a Lua script adds the id to a set and the result to
/// the stream atomically), so a job run twice (claimed after its worker wrote but before it
/// acknowledged) still has exactly one result. Redis does the scheduling; nothing here is hand-written.
/// </summary>
public sealed partial class ClassificationWorker(IConnectionMultiplexer redis, IImageClassifier classifier, IOptions<WorkerOptions> options, ILogger<ClassificationWorker> logger) : BackgroundService
{
    // KEYS[1] done set, KEYS[2] results stream; ARGV: job, filename, prediction, score, worker, error ("" for none).
    private const string WriteOnce = """
        if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
        if ARGV[6] == '' then
          redis.call('XADD', KEYS[2], '*', 'job', ARGV[1], 'filename', ARGV[2], 'prediction', ARGV[3], 'score', ARGV[4], 'worker', ARGV[5])
        else
          redis.call('XADD', KEYS[2], '*', 'job', ARGV[1], 'filename', ARGV[2], 'prediction', ARGV[3], 'score', ARGV[4], 'worker', ARGV[5], 'error', ARGV[6])
        end
        return 1
        """;

    private readonly WorkerOptions _options = options.Value;
    private readonly string _consumer = options.Value.Consumer ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IDatabase db = redis.GetDatabase();
        await EnsureGroupAsync(db).ConfigureAwait(false);
        LogStarted(logger, _consumer, _options.JobsStream, _options.Group);
        while (!stoppingToken.IsCancellationRequested)
        {
            StreamEntry[] jobs = await NextJobsAsync(db).ConfigureAwait(false);
            if (jobs.Length == 0)
            {
                await Task.Delay(200, stoppingToken).ConfigureAwait(false);
                continue;
            }

            // Inference is synchronous work: off the host's threads, never cancelled half-way (a job
            // is acknowledged only after its result is written).
            IReadOnlyList<Prediction> predictions = await Task.Run(() => classifier.Classify(jobs.Select(Input).ToList()), CancellationToken.None).ConfigureAwait(false);
            for (int i = 0; i < jobs.Length; i++)
            {
                await WriteResultAsync(db, jobs[i], predictions[i]).ConfigureAwait(false);
            }

            await db.StreamAcknowledgeAsync(_options.JobsStream, _options.Group, [.. jobs.Select(j => j.Id)]).ConfigureAwait(false);
            await db.HashSetAsync(_options.ResultsStream + ":workers", _consumer, DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ConfigureAwait(false);
            LogBatch(logger, jobs.Length, predictions.Count(p => !p.Succeeded));
        }
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
            return entries;
        }

        return await db.StreamReadGroupAsync(_options.JobsStream, _options.Group, _consumer, StreamPosition.NewMessages, _options.BatchSize).ConfigureAwait(false);
    }

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

    private Task<RedisResult> WriteResultAsync(IDatabase db, StreamEntry job, Prediction p)
    {
        string id = job["job"].IsNullOrEmpty ? job.Id.ToString() : job["job"].ToString();
        return db.ScriptEvaluateAsync(
            WriteOnce,
            [_options.DoneSet, _options.ResultsStream],
            [id, p.Source, p.ClassIndex, p.Score.ToString("R", CultureInfo.InvariantCulture), _consumer, p.Error ?? string.Empty]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Consumer} reads {Stream} in group {Group}")]
    private static partial void LogStarted(ILogger logger, string consumer, string stream, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Count} job(s) a stopped worker left")]
    private static partial void LogClaimed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Classified {Count} job(s), {Failed} failed")]
    private static partial void LogBatch(ILogger logger, int count, int failed);
}
