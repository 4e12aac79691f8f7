using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// For every native function the binding calls, an injected failure gives a typed exception (or
/// per-image errors), the process stays alive, and no device memory is left behind.
/// </summary>
public class FaultInjectionTests : EmulatorTestBase
{
    [TestCase("bm_dev_request:1")]
    [TestCase("bmrt_create:1")]
    [TestCase("bmrt_load_bmodel:1")]
    [TestCase("bmrt_get_network_number:1")]
    [TestCase("bmrt_get_network_names:1")]
    [TestCase("bmrt_get_network_info:1")]
    [TestCase("bm_malloc_device_byte:1")]
    [TestCase("bm_malloc_device_byte:2")]
    public void FailureWhileCreatingIsATypedExceptionNamingTheFunction(string fault)
    {
        string function = fault[..fault.IndexOf(':', StringComparison.Ordinal)];
        Emulator.SetFaults(fault);

        var ex = Assert.Throws<SophonException>(() => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp16", 4) }));

        Assert.That(ex!.Message, Does.StartWith(function));
    }

    [TestCase("bm_memcpy_s2d_partial:2", "none")]
    [TestCase("bmrt_launch_tensor_ex:2", "none")]
    [TestCase("bm_thread_sync:2", "none")]
    [TestCase("bm_memcpy_d2s_partial:2", "none")]
    [TestCase("bm_memcpy_d2s_partial:3", "projection")] // the second batch's logits (two copies a batch)
    [TestCase("bm_memcpy_d2s_partial:4", "projection")] // the second batch's embedding
    public void FailureWhileRunningTurnsThatBatchIntoErrorEntries(string fault, string embedding)
    {
        string function = fault[..fault.IndexOf(':', StringComparison.Ordinal)];
        List<ImageInput> inputs = Enumerable.Range(0, 10).Select(i => ImageInput.FromPixels(TestData.RandomBytes(3072, i), 32, 32, $"f{i}")).ToList();
        using ImageClassifier classifier = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("int8", 4), Embedding = embedding });
        Emulator.SetFaults(fault);

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions, Has.Count.EqualTo(10));
        Assert.That(predictions.Select(p => p.Succeeded), Is.EqualTo(new[] { true, true, true, true, false, false, false, false, true, true }), "the second batch failed, the others did not");
        Assert.That(predictions[4].Error, Does.Contain(function));
        Emulator.SetFaults(null);
        Assert.That(classifier.Classify(inputs), Has.All.Matches<Prediction>(p => p.Succeeded), "the engine recovers");
    }
}
