namespace SimClrV2.Worker;

/// <summary>The worker's settings (section <c>Worker</c>; environment variables <c>Worker__Redis</c>, ...).</summary>
public sealed class WorkerOptions
{
    /// <summary>The Redis connection string (StackExchange.Redis format).</summary>
    public string Redis { get; set; } = "localhost:6379";

    /// <summary>The stream jobs are read from: entries with <c>job</c> (a unique id; <c>enqueue</c> makes UUIDs), <c>name</c> and <c>image</c> (encoded bytes). Answered jobs are deleted from it.</summary>
    public string JobsStream { get; set; } = "simclrv2:jobs";

    /// <summary>The stream results are written to: <c>job</c>, <c>filename</c>, <c>prediction</c>, <c>score</c>, <c>worker</c> and, on failure, <c>error</c>.</summary>
    public string ResultsStream { get; set; } = "simclrv2:results";

    /// <summary>The consumer group every worker joins (each job goes to one of them).</summary>
    public string Group { get; set; } = "simclrv2-workers";

    /// <summary>This worker's consumer name (default: host name and process id).</summary>
    public string? Consumer { get; set; }

    /// <summary>Jobs read at once and classified as one run.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Jobs another consumer has held this long without acknowledging (it died) are claimed (XAUTOCLAIM).</summary>
    public int ClaimIdleSeconds { get; set; } = 30;

    /// <summary>The port of <c>/healthz</c> (alive), <c>/readyz</c> (Redis reachable, group present, model loaded) and <c>/metrics</c> (Prometheus); 0 picks a free one.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Consumers idle this long with nothing pending (workers that died or were scaled away) are removed from the group.</summary>
    public int DeadConsumerSeconds { get; set; } = 3600;

    /// <summary>onnxruntime or sophon; the <c>Classifier</c> section configures it.</summary>
    public string Engine { get; set; } = "onnxruntime";

    /// <summary>Results kept in the results stream (older ones are trimmed: XADD MAXLEN ~); consumers read them before that.</summary>
    public int ResultsMaxLength { get; set; } = 100_000;

    /// <summary>How long a job's done marker lives (it makes each result written once, even when a job is run twice).</summary>
    public int DoneTtlSeconds { get; set; } = 86_400;

    /// <summary>The shortest wait before reading again when no job came (doubling to <see cref="IdlePollMaxMs"/>; a busy worker reads at once).</summary>
    public int IdlePollMinMs { get; set; } = 5;

    /// <summary>The longest wait before reading again when idle.</summary>
    public int IdlePollMaxMs { get; set; } = 200;

    /// <summary>
    /// Deliveries after which a job that never got an answer (it killed or hung its workers, or its
    /// inference kept failing) goes to <see cref="DeadLetterStream"/> with its last error, and is acknowledged.
    /// </summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>Where poison jobs go: <c>job</c>, <c>name</c>, <c>deliveries</c>, <c>error</c> (the image is not kept).</summary>
    public string DeadLetterStream => JobsStream + ":dead";

    /// <summary>The sorted set of done markers (job id -> when it expires); also the prefix of a job's last-error key.</summary>
    public string DoneSet => ResultsStream + ":done";
}
