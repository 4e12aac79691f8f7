using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The interop structs' own rules; their sizes, offsets and enum values are checked against the
/// vendor's headers compiled by a C++ compiler (the integration tests' VendorLayoutTests), not against
/// numbers typed here.
/// </summary>
public class InteropLayoutTests
{
    [Test]
    public void ShapeRefusesMoreThanEightDims()
    {
        Assert.That(() => BmShape.From(new int[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }

}
