using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>A real redis-server on loopback and worker processes for the worker's tests.</summary>
internal static class RedisHost
{
    public const string Server = "/usr/bin/redis-server";

    /// <summary>Skips the test when redis-server is not installed.</summary>
    public static void Require()
    {
        if (!File.Exists(Server))
        {
            Assert.Ignore($"{Server} is not installed (Debian's redis-server; .ci/run installs it).");
        }
    }

    /// <summary>Starts redis-server on a port; with <paramref name="dataDir"/> it persists (appendonly) there, else nothing is saved.</summary>
    public static Process StartRedis(int port, string? dataDir = null) =>
        Start(Server, dataDir is null
            ? ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            : ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir], null, null);

    public static Process StartWorker(string endpoint, string name, ConcurrentQueue<string> logs, Dictionary<string, string>? more = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Worker__Redis"] = endpoint,
            ["Worker__Consumer"] = name,
            ["Worker__BatchSize"] = "8",
            ["Worker__ClaimIdleSeconds"] = "2",
            ["Worker__HttpPort"] = "0",
            ["Classifier__IntraOpNumThreads"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__SimClrV2.Worker"] = "Information",
        };
        foreach ((string key, string value) in more ?? [])
        {
            environment[key] = value;
        }

        return Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "simclrv2-worker.dll")], environment, logs);
    }

    public static Process Start(string program, string[] args, Dictionary<string, string>? environment, ConcurrentQueue<string>? logs)
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

    public static async Task<ConnectionMultiplexer> Connect(string endpoint, CancellationToken cancellationToken)
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

    public static async Task WaitFor(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One test's redis-server (on a free loopback port, optionally persistent), its connection (admin: CONFIG, INFO) and the workers started on it; disposing stops them all.</summary>
internal sealed class RedisRun : IDisposable
{
    private readonly List<Process> _workers = [];
    private readonly string? _dataDir;
    private Process _redis;
    private ConnectionMultiplexer? _connection;

    private RedisRun(string? dataDir)
    {
        _dataDir = dataDir;
        Port = RedisHost.FreePort();
        Endpoint = $"127.0.0.1:{Port}";
        _redis = RedisHost.StartRedis(Port, dataDir);
    }

    public int Port { get; }

    public string Endpoint { get; }

    public IDatabase Db => _connection!.GetDatabase();

    /// <summary>Every line the workers wrote.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    public IReadOnlyList<Process> Workers => _workers;

    /// <summary>Starts Redis (skipping the test where redis-server is missing) and connects to it.</summary>
    public static async Task<RedisRun> StartAsync(CancellationToken cancellationToken, string? dataDir = null)
    {
        RedisHost.Require();
        var run = new RedisRun(dataDir);
        try
        {
            run._connection = await RedisHost.Connect(run.Endpoint + ",allowAdmin=true", cancellationToken);
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    public Process StartWorker(string name, Dictionary<string, string>? more = null)
    {
        Process worker = RedisHost.StartWorker(Endpoint, name, Logs, more);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Kills Redis (SIGKILL: no shutdown save).</summary>
    public async Task KillRedisAsync(CancellationToken cancellationToken)
    {
        _redis.Kill(entireProcessTree: true);
        await _redis.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Kills Redis, leaves it down for a while, and starts it again on the same port and data.</summary>
    public async Task RestartRedisAsync(TimeSpan down, CancellationToken cancellationToken)
    {
        await KillRedisAsync(cancellationToken);
        _redis.Dispose();
        await Task.Delay(down, cancellationToken);
        _redis = RedisHost.StartRedis(Port, _dataDir);
    }

    public void Dispose()
    {
        foreach (Process p in (Process[])[.. _workers, _redis])
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            p.Dispose();
        }

        _connection?.Dispose();
    }
}
