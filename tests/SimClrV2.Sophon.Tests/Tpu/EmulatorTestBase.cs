using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Fixtures that run against the libsophon emulator: skipped when it is not built; after each
/// test, faults and the device count are reset and no device allocation may be left.
/// </summary>
public abstract class EmulatorTestBase
{
    [SetUp]
    public void RequireEmulator() => Emulator.Require();

    [TearDown]
    public void CheckNothingLeaked()
    {
        Emulator.SetFaults(null);
        Emulator.SetDevices(-1);
        Assert.That(Emulator.Outstanding(), Is.EqualTo((0, 0UL)), "every device allocation was freed");
    }
}
