using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Probe;

/// <summary>Disposes classifiers while other threads classify with them, trial after trial; any engine.</summary>
internal static class DisposalTrials
{
    /// <summary>The outcome: runs that finished, runs stopped by <see cref="ObjectDisposedException"/>, or an error line.</summary>
    public sealed record Outcome(int Runs, int Completed, int DisposedMidRun, string? Error);

    public static Outcome Run(Func<ImageClassifier> create, int trials, int threadsPerTrial, int seed)
    {
        var inputs = Enumerable.Range(0, 64)
            .Select(i => ImageInput.FromPixels(Enumerable.Range(0, 32 * 32 * 3).Select(j => (byte)((i * 31) + j)).ToArray(), 32, 32, $"p{i}"))
            .ToList();
        var random = new Random(seed);
        int completed = 0, disposedMidRun = 0;
        for (int t = 0; t < trials; t++)
        {
            ImageClassifier classifier = create();
            using var started = new ManualResetEventSlim();
            Task<int>[] runs = Enumerable.Range(0, threadsPerTrial).Select(_ => Task.Run(() =>
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
            })).ToArray();
            started.Wait(TimeSpan.FromSeconds(10));
            Thread.Sleep(random.Next(0, 4));
            classifier.Dispose();
            foreach (Task<int> run in runs)
            {
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
                    return new Outcome(trials * threadsPerTrial, completed, disposedMidRun, $"error: trial {t} returned {result} predictions without an exception");
                }
            }
        }

        return new Outcome(trials * threadsPerTrial, completed, disposedMidRun, null);
    }
}
