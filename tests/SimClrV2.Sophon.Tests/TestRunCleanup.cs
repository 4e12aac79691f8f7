using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests;

/// <summary>Removes what the test run wrote outside its own folders (the emulated bmodels).</summary>
[SetUpFixture]
public sealed class TestRunCleanup
{
    [OneTimeTearDown]
    public void DeleteTemporaryModels() => Emulator.DeleteModels();
}
