using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Probe;

// simclrv2-probe dispose-during-classify MODEL TRIALS
//   Disposes an ONNX Runtime classifier while another thread classifies with it, TRIALS times.
//   Prints "trials N, completed C, disposed-mid-run D" and exits 0; a crash kills the process.
if (args.Length >= 3 && args[0] == "dispose-during-classify")
{
    string model = args[1];
    int trials = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    DisposalTrials.Outcome outcome = DisposalTrials.Run(
        () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model, BatchSize = 8, IntraOpNumThreads = 1 }), trials, threadsPerTrial: 1, seed: 7);
    Console.WriteLine(outcome.Error ?? $"trials {trials}, completed {outcome.Completed}, disposed-mid-run {outcome.DisposedMidRun}");
    return outcome.Error is null ? 0 : 1;
}

// simclrv2-probe default-model
//   Creates an ONNX Runtime classifier with no model in an app that does not reference the default
//   model package; prints the exception's type and message and exits 3 (0 if a classifier was made).
if (args.Length == 1 && args[0] == "default-model")
{
    try
    {
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions());
        Console.WriteLine("created");
        return 0;
    }
    catch (InvalidOperationException ex)
    {
        Console.WriteLine($"{ex.GetType().Name}: {ex.Message}");
        return 3;
    }
}

if (args.Length >= 1 && SophonProbes.TryRun(args, out int code))
{
    return code;
}

Console.Error.WriteLine("usage: simclrv2-probe dispose-during-classify MODEL TRIALS | default-model | " + SophonProbes.Usage);
return 2;
