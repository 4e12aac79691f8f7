using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Fixtures that run against the libsophon emulator: skipped when it is not built; after each
/// test, faults and the device count are reset and no device allocation, and no launch that was
/// never synced, may be left.
/// </summary>
public abstract class EmulatorTestBase
{
    private int _unsyncedBefore;

    [SetUp]
    public void RequireEmulator()
    {
        Emulator.Require();
        _unsyncedBefore = Emulator.Unsynced();
    }

    [TearDown]
    public void CheckNothingLeaked()
    {
        Emulator.SetFaults(null);
        Emulator.SetDevices(-1);
        Emulator.SetBmcvVersion(null);
        Emulator.SetChip(0);
        Assert.That(Emulator.Outstanding(), Is.EqualTo((0, 0UL)), "every device allocation was freed");
        Assert.That(Emulator.Unsynced() - _unsyncedBefore, Is.Zero, "every launch was synced before its device was freed");
    }
}
