using StackExchange.Redis;

namespace SimClrV2.Worker;

/// <summary>
/// Runs a Redis call again, with exponential backoff (0.1 s doubling to 5 s), while its error is one
/// that passes: the connection lost or timed out (Redis restarting), Redis loading its data, out of
/// memory (writes fail until memory frees), a replica read-only, or the consumer group gone (NOGROUP:
/// <c>recover</c> recreates it first). Any other error is thrown: it will not pass by waiting.
/// </summary>
internal static partial class Retry
{
    private static readonly string[] TransientReplies = ["NOGROUP", "OOM", "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN"];

    public static bool IsTransient(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => TransientReplies.Any(r => server.Message.StartsWith(r, StringComparison.Ordinal) || server.Message.Contains(" " + r + " ", StringComparison.Ordinal) || server.Message.Contains("-" + r, StringComparison.Ordinal)),
        _ => false,
    };

    public static async Task RunAsync(Func<Task> call, string what, ILogger logger, CancellationToken cancellationToken, Func<Task>? recoverNoGroup = null) =>
        await RunAsync(async () => { await call().ConfigureAwait(false); return true; }, what, logger, cancellationToken, recoverNoGroup).ConfigureAwait(false);

    public static async Task<T> RunAsync<T>(Func<Task<T>> call, string what, ILogger logger, CancellationToken cancellationToken, Func<Task>? recoverNoGroup = null)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                LogRetry(logger, what, attempt, delay.TotalSeconds, ex.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                if (recoverNoGroup is not null && ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
                {
                    try
                    {
                        await recoverNoGroup().ConfigureAwait(false);
                    }
                    catch (Exception again) when (IsTransient(again))
                    {
                        // Redis is still away: the next attempt waits again.
                    }
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis error while {What} (attempt {Attempt}); retrying in {Seconds:F1} s: {Reason}")]
    private static partial void LogRetry(ILogger logger, string what, int attempt, double seconds, string reason);
}

/// <summary>How long an idle worker waits before it reads again: the least at first, doubling to the most while nothing comes; a batch resets it.</summary>
internal sealed class IdleBackoff(TimeSpan least, TimeSpan most)
{
    private readonly TimeSpan _least = least;
    private TimeSpan _next = least;

    public TimeSpan Next()
    {
        TimeSpan now = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, most.Ticks));
        return now;
    }

    public void Reset() => _next = _least;
}
