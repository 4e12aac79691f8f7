using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SimClrV2.Worker;

/// <summary>
/// The worker's metrics (meter <c>SimClrV2.Worker</c>, exported with the library's <c>SimClrV2.Sophon</c>
/// meter on <c>/metrics</c>): jobs answered by outcome (<c>ok</c> or the error kind), dead-lettered
/// jobs, and the queue as Redis sees it (its length, the pending jobs, the oldest pending job's age),
/// sampled every few seconds so a scrape never waits on Redis.
/// </summary>
public sealed class WorkerTelemetry : IDisposable
{
    public const string MeterName = "SimClrV2.Worker";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _answered;
    private readonly Counter<long> _deadLettered;
    private long _queueLength, _pending;
    private double _oldestPendingSeconds;

    public WorkerTelemetry()
    {
        _answered = _meter.CreateCounter<long>("simclrv2.worker.jobs.answered", "{job}", "Jobs answered, by outcome (ok or the error kind)");
        _deadLettered = _meter.CreateCounter<long>("simclrv2.worker.jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter stream");
        _meter.CreateObservableGauge("simclrv2.worker.queue.length", () => Volatile.Read(ref _queueLength), "{job}", "Entries in the jobs stream");
        _meter.CreateObservableGauge("simclrv2.worker.queue.pending", () => Volatile.Read(ref _pending), "{job}", "Jobs read by a worker and not yet answered");
        _meter.CreateObservableGauge("simclrv2.worker.queue.oldest_pending_age", () => Volatile.Read(ref _oldestPendingSeconds), "s", "How long the oldest pending job has waited since its last delivery");
    }

    /// <summary>True once the worker has joined its group and is reading (readiness).</summary>
    public bool Running { get; set; }

    public void Answered(string outcome) => _answered.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void DeadLettered() => _deadLettered.Add(1);

    /// <summary>Reads the queue's state from Redis (on the sampler's schedule, not on a scrape).</summary>
    public async Task SampleAsync(IDatabase db, WorkerOptions options)
    {
        Volatile.Write(ref _queueLength, await db.StreamLengthAsync(options.JobsStream).ConfigureAwait(false));
        StreamPendingInfo pending = await db.StreamPendingAsync(options.JobsStream, options.Group).ConfigureAwait(false);
        Volatile.Write(ref _pending, pending.PendingMessageCount);
        StreamPendingMessageInfo[] oldest = pending.PendingMessageCount == 0 ? [] : await db.StreamPendingMessagesAsync(options.JobsStream, options.Group, 1, RedisValue.Null).ConfigureAwait(false);
        Volatile.Write(ref _oldestPendingSeconds, oldest.Length == 0 ? 0 : oldest[0].IdleTimeInMilliseconds / 1000.0);
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>
/// Every 5 s: samples the queue for the gauges (a Redis error leaves the last values), drops expired
/// done markers (so an idle queue gives their memory back), and removes
/// consumers idle past <see cref="WorkerOptions.DeadConsumerSeconds"/> with nothing pending (their
/// jobs, if any, are claimed first by the live workers), so the group does not fill with dead names.
/// </summary>
public sealed class QueueSampler(IConnectionMultiplexer redis, WorkerTelemetry telemetry, IOptions<WorkerOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                IDatabase db = redis.GetDatabase();
                await telemetry.SampleAsync(db, options.Value).ConfigureAwait(false);
                await RemoveDeadConsumersAsync(db, options.Value).ConfigureAwait(false);
                await db.SortedSetRemoveRangeByScoreAsync(options.Value.DoneSet, double.NegativeInfinity, DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ConfigureAwait(false); // expired done markers
            }
            catch (RedisException)
            {
                // Redis is away or the group not there yet: /readyz says so; the gauges keep their last values.
            }

            await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
        }
    }

    private static async Task RemoveDeadConsumersAsync(IDatabase db, WorkerOptions options)
    {
        foreach (StreamConsumerInfo consumer in await db.StreamConsumerInfoAsync(options.JobsStream, options.Group).ConfigureAwait(false))
        {
            if (consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > options.DeadConsumerSeconds * 1000L)
            {
                await db.StreamDeleteConsumerAsync(options.JobsStream, options.Group, consumer.Name).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Ready while the worker reads its group (it has joined it) and the group exists in Redis.</summary>
public sealed class WorkerReadyCheck(IConnectionMultiplexer redis, WorkerTelemetry telemetry, IOptions<WorkerOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!telemetry.Running)
        {
            return HealthCheckResult.Unhealthy("The worker has not joined its group yet (loading the model, or waiting for Redis)");
        }

        try
        {
            StreamGroupInfo[] groups = await redis.GetDatabase().StreamGroupInfoAsync(options.Value.JobsStream).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return groups.Any(g => g.Name == options.Value.Group)
                ? HealthCheckResult.Healthy($"Group {options.Value.Group} on {options.Value.JobsStream}")
                : HealthCheckResult.Unhealthy($"No group {options.Value.Group} on {options.Value.JobsStream}");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The group on {options.Value.JobsStream} cannot be read", ex);
        }
    }
}
