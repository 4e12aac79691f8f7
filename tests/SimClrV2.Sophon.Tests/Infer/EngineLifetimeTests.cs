using System.Runtime.CompilerServices;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Infer;

/// <summary>Disposal never frees memory under a running network, and a disposed engine leaves nothing behind.</summary>
public class EngineLifetimeTests
{
    [Test]
    public void CloseWaitsForTheRunsInFlightAndThenRefusesNewOnes()
    {
        var gate = new RunGate(this);
        gate.Enter();
        Task<bool> closing = Task.Run(gate.Close);

        Assert.That(closing.Wait(200), Is.False, "Close waits while a run is in flight");
        gate.Exit();
        Assert.That(closing.Wait(TimeSpan.FromSeconds(10)) && closing.Result, Is.True);
        Assert.That(gate.Close, Is.False, "a second Close reports that the gate was already closed");
        Assert.That(gate.Enter, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(gate.Exit, Throws.InvalidOperationException);
    }

    [Test]
    public void ThePoolReusesBatchesRefusesADoubleReturnAndReleasesRentedOnesToo()
    {
        var input = new EngineInput("x", TensorElementType.Float32, 3, 2, 2);
        var created = new List<DisposableBatch>();
        var pool = new InferenceBatchPool<DisposableBatch>(() => { var b = new DisposableBatch(input); created.Add(b); return b; }, this);

        DisposableBatch first = pool.Rent();
        pool.Return(first);
        DisposableBatch again = pool.Rent();
        DisposableBatch second = pool.Rent();
        pool.Return(second);

        Assert.That(again, Is.SameAs(first));
        Assert.That(() => pool.Return(second), Throws.InvalidOperationException.With.Message.Contains("returned twice"));
        pool.Dispose();
        Assert.That(created.Select(b => b.Disposed), Is.EqualTo(new[] { true, true }), "idle and rented batches are released");
        Assert.That(pool.Rent, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => pool.Return(again), Throws.Nothing, "a batch returned after disposal is ignored");
    }

    [Test]
    public void ABatchTooLargeForOneBufferIsRefusedWithItsNumbers()
    {
        Assert.That(
            () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 174_763 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("A batch of 174763 images").And.Message.Contains("Use a batch of at most"));
    }

    [Test]
    public void ADisposedOnnxClassifierAndItsEngineCanBeCollected()
    {
        // Each cycle used to keep its batch buffers (and so its engine) alive through thread-local pool storage.
        WeakReference[] engines = Enumerable.Range(0, 3).Select(_ => CreateClassifyDispose()).ToArray();

        for (int i = 0; i < 3 && engines.Any(e => e.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.That(engines.Count(e => e.IsAlive), Is.Zero, "nothing holds a disposed engine");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CreateClassifyDispose()
    {
        ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 4 });
        var inputs = Enumerable.Range(0, 9).Select(i => TestData.SolidImage($"s{i}", 32, 32, (byte)(i * 20), 0, 0)).ToList();
        Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => classifier.Classify(inputs)))).GetAwaiter().GetResult();
        var reference = new WeakReference(classifier.Engine);
        classifier.Dispose();
        return reference;
    }

    [Test]
    public void DisposingAnOnnxClassifierWhileItClassifiesNeverKillsTheProcess()
    {
        // In a child process: before the fix this crashed the process in most trials.
        ChildProcess.Result result = ChildProcess.Run("simclrv2-probe.dll", TimeSpan.FromMinutes(3), "dispose-during-classify", TestData.DefaultModel, "40");

        Assert.That(result.TimedOut, Is.False, "the probe finished");
        Assert.That(result.ExitCode, Is.Zero, $"the probe survived every trial; stdout: {result.Out} stderr: {result.Err}");
        Assert.That(result.Out, Does.Match(@"trials 40, completed \d+, disposed-mid-run \d+"));
        TestContext.Out.WriteLine(result.Out.Trim());
    }

    [Test]
    public void RunningADisposedEngineThrowsObjectDisposed()
    {
        var engine = new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 2 });
        InferenceBatch batch = engine.RentBatch();
        engine.Dispose();

        Assert.That(() => engine.Run(batch, 1), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(engine.RentBatch, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => engine.ReturnBatch(batch), Throws.Nothing);
    }

    internal sealed class DisposableBatch(EngineInput input) : InferenceBatch(input, 2, 3), IDisposable
    {
        private readonly byte[] _input = new byte[2 * input.BytesPerImage];
        private readonly float[] _output = new float[6];

        public bool Disposed { get; private set; }

        public override Span<byte> InputBytes => _input;

        public override Span<float> Outputs => _output;

        public void Dispose() => Disposed = true;
    }
}
