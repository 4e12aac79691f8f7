using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using SimClrV2.Worker;
using StackExchange.Redis;

// simclrv2-worker                       run a worker (configuration: appsettings.json, Worker__*/Classifier__* variables, --Worker:Redis=...)
// simclrv2-worker enqueue --redis HOST:PORT --input PATH [--stream NAME] [--count N] [--max-pending N]
// simclrv2-worker probe URL             exit 0 when the URL answers 200 (a container HEALTHCHECK)
if (args.Length > 0 && args[0] == "enqueue")
{
    return await Enqueue.RunAsync(args).ConfigureAwait(false);
}

// simclrv2-worker probe URL: exit 0 when the URL answers 200 (the image's HEALTHCHECK; the runtime image has no curl).
if (args.Length == 2 && args[0] == "probe")
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
    try
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri(args[1])).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? 0 : 1;
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
    {
        return 1;
    }
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection("Worker"))
    .Validate(o => o.BatchSize is >= 1 and <= 4096, "Worker:BatchSize must be 1..4096.")
    .Validate(o => o.ClaimIdleSeconds >= 1, "Worker:ClaimIdleSeconds must be at least 1.")
    .Validate(o => o.Engine is "onnxruntime" or "sophon", "Worker:Engine must be onnxruntime or sophon.")
    .Validate(o => o.HttpPort is >= 0 and <= 65535, "Worker:HttpPort must be 0..65535 (0: a free port).")
    .Validate(o => o.ResultsMaxLength >= 1 && o.DoneTtlSeconds >= 1 && o.MaxDeliveries >= 1, "Worker:ResultsMaxLength, Worker:DoneTtlSeconds and Worker:MaxDeliveries must be at least 1.")
    .Validate(o => o.IdlePollMinMs >= 1 && o.IdlePollMaxMs >= o.IdlePollMinMs, "Worker:IdlePollMinMs must be at least 1 and at most Worker:IdlePollMaxMs.")
    .ValidateOnStart();
IConfigurationSection classifier = builder.Configuration.GetSection("Classifier");
if (builder.Configuration["Worker:Engine"] == "sophon")
{
    builder.Services.AddSophonImageClassifier(classifier);
}
else
{
    builder.Services.AddOnnxImageClassifier(classifier);
}

// abortConnect=false: a worker started before Redis (or while it restarts) keeps trying instead of failing.
builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
{
    ConfigurationOptions redis = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Redis);
    redis.AbortOnConnectFail = false;
    return ConnectionMultiplexer.Connect(redis);
});
builder.Services.AddSingleton<WorkerTelemetry>();
builder.Services.AddHealthChecks()
    .AddCheck<RedisHealthCheck>("redis", tags: ["ready"])
    .AddCheck<WorkerReadyCheck>("group", tags: ["ready"]);
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(WorkerTelemetry.MeterName, SimClrV2.Sophon.Diagnostics.SimClrV2Telemetry.MeterName)
    .AddPrometheusExporter());
builder.Services.AddHostedService<ClassificationWorker>();
builder.Services.AddHostedService<QueueSampler>();
int port = builder.Configuration.GetValue("Worker:HttpPort", 8080);
builder.WebHost.UseUrls(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://0.0.0.0:{port}"));

WebApplication app = builder.Build();
app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }); // alive: the process answers
app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
app.MapPrometheusScrapingEndpoint("/metrics");
await app.RunAsync().ConfigureAwait(false);
return Environment.ExitCode;
