using SimClrV2.Sophon.Decode;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StackExchange.Redis;

namespace SimClrV2.Worker;

/// <summary>
/// <c>simclrv2-worker enqueue --redis HOST:PORT --input PATH [--stream NAME] [--count N] [--max-pending N]</c>:
/// pushes a folder of images or a CIFAR-10 file as jobs (a UUID job id that cannot collide with
/// another producer's, the name as a field, the encoded image: files as they are, CIFAR images as
/// PNG) and prints how many; it waits while the jobs stream holds <c>--max-pending</c> jobs (default
/// 10,000), so a producer faster than the workers cannot fill Redis.
/// </summary>
public static class Enqueue
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        string inputPath = Value("--input") ?? throw new ArgumentException("enqueue needs --input PATH (a folder of images or a CIFAR-10 file).");
        string stream = Value("--stream") ?? new WorkerOptions().JobsStream;
        int count = int.TryParse(Value("--count"), out int n) ? n : int.MaxValue;
        int maxPending = int.TryParse(Value("--max-pending"), out int m) && m > 0 ? m : 10_000;
        using ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync(Value("--redis") ?? new WorkerOptions().Redis).ConfigureAwait(false);
        IDatabase db = redis.GetDatabase();
        int pushed = 0;
        foreach (ImageInput input in ImageInputs.FromPath(inputPath).Take(count))
        {
            byte[] image = input.SourceFile is { } file && !Path.GetExtension(file).Equals(".bin", StringComparison.OrdinalIgnoreCase) && ImageInputs.Detect(file) == InputKind.ImageFile
                ? await File.ReadAllBytesAsync(file).ConfigureAwait(false)
                : Png(input);
            while (await db.StreamLengthAsync(stream).ConfigureAwait(false) >= maxPending)
            {
                await Task.Delay(50).ConfigureAwait(false); // backpressure: the workers delete what they answer
            }

            await db.StreamAddAsync(stream, [new("job", Guid.CreateVersion7().ToString()), new("name", input.Name), new("image", image)]).ConfigureAwait(false);
            pushed++;
        }

        Console.WriteLine($"enqueued {pushed} job(s) on {stream}");
        return 0;
    }

    private static byte[] Png(ImageInput input)
    {
        using Image<Rgb24> image = input.DecodeToImage();
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}
