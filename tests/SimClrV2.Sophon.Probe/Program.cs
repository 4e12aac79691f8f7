using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Probe;

// simclrv2-probe dispose-during-classify MODEL TRIALS
//   Disposes an ONNX Runtime classifier while another thread classifies with it, TRIALS times.
//   Prints "trials N, completed C, disposed-mid-run D" and exits 0; a crash kills the process.
if (args.Length >= 3 && args[0] == "dispose-during-classify")
{
    string model = args[1];
    int trials = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    var random = new Random(7);
    var inputs = Enumerable.Range(0, 64)
        .Select(i => ImageInput.FromPixels(Enumerable.Range(0, 32 * 32 * 3).Select(j => (byte)((i * 31) + j)).ToArray(), 32, 32, $"p{i}"))
        .ToList();
    int completed = 0, disposedMidRun = 0;
    for (int t = 0; t < trials; t++)
    {
        ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model, BatchSize = 8, IntraOpNumThreads = 1 });
        using var started = new ManualResetEventSlim();
        Task<int> run = Task.Run(() =>
        {
            try
            {
                int n = 0;
                foreach (Prediction p in classifier.ClassifyAsync(inputs).ToBlockingEnumerable())
                {
                    started.Set();
                    n++;
                }

                return n;
            }
            catch (ObjectDisposedException)
            {
                return -1;
            }
        });
        started.Wait(TimeSpan.FromSeconds(10));
        Thread.Sleep(random.Next(0, 3));
        classifier.Dispose();
        int result = run.GetAwaiter().GetResult();
        if (result == inputs.Count)
        {
            completed++;
        }
        else if (result == -1)
        {
            disposedMidRun++;
        }
        else
        {
            Console.WriteLine($"error: trial {t} returned {result} predictions without an exception");
            return 1;
        }
    }

    Console.WriteLine($"trials {trials}, completed {completed}, disposed-mid-run {disposedMidRun}");
    return 0;
}

if (args.Length >= 1 && SophonProbes.TryRun(args, out int code))
{
    return code;
}

Console.Error.WriteLine("usage: simclrv2-probe dispose-during-classify MODEL TRIALS | " + SophonProbes.Usage);
return 2;
