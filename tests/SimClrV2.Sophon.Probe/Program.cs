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

if (args.Length >= 1 && SophonProbes.TryRun(args, out int code))
{
    return code;
}

Console.Error.WriteLine("usage: simclrv2-probe dispose-during-classify MODEL TRIALS | " + SophonProbes.Usage);
return 2;
