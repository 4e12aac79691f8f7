using Microsoft.Extensions.Options;
using SimClrV2.Worker;
using StackExchange.Redis;

// simclrv2-worker                       run a worker (configuration: appsettings.json, Worker__*/Classifier__* variables, --Worker:Redis=...)
// simclrv2-worker enqueue --redis HOST:PORT --input PATH [--stream NAME] [--count N]
if (args.Length > 0 && args[0] == "enqueue")
{
    return await Enqueue.RunAsync(args).ConfigureAwait(false);
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection("Worker"))
    .Validate(o => o.BatchSize is >= 1 and <= 4096, "Worker:BatchSize must be 1..4096.")
    .Validate(o => o.ClaimIdleSeconds >= 1, "Worker:ClaimIdleSeconds must be at least 1.")
    .Validate(o => o.Engine is "onnxruntime" or "sophon", "Worker:Engine must be onnxruntime or sophon.")
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
builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
builder.Services.AddHostedService<ClassificationWorker>();
await builder.Build().RunAsync().ConfigureAwait(false);
return 0;
