using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The managed structs' sizes and offsets as the runtime lays them out (64-bit Linux); the integration
/// tests check them and the net-info offsets against the vendor's headers compiled (VendorLayoutTests).
/// </summary>
public class InteropLayoutTests
{
    [Test]
    public void DeviceMemIs24BytesWithTheDocumentedOffsets()
    {
        Assert.That(Marshal.SizeOf<BmDeviceMem>(), Is.EqualTo(24));
        Assert.That(Offsets<BmDeviceMem>("DeviceAddress", "Reserved", "DmaBufFd", "Flags", "Size"), Is.EqualTo(new[] { 0, 8, 12, 16, 20 }));
    }

    [Test]
    public void ShapeIs36AndTensorIs72Bytes()
    {
        Assert.That(Marshal.SizeOf<BmShape>(), Is.EqualTo(36));
        Assert.That(Marshal.SizeOf<BmTensor>(), Is.EqualTo(72));
        Assert.That(Offsets<BmTensor>("DType", "Shape", "DeviceMem", "StMode"), Is.EqualTo(new[] { 0, 4, 40, 64 }));
    }

    [Test]
    public void BmcvImageAndConvertToAttributesAre24Bytes()
    {
        Assert.That(Marshal.SizeOf<BmImage>(), Is.EqualTo(24));
        Assert.That(Offsets<BmImage>("Width", "Height", "ImageFormat", "DataType", "ImagePrivate"), Is.EqualTo(new[] { 0, 4, 8, 12, 16 }));
        Assert.That(Marshal.SizeOf<BmcvConvertToAttr>(), Is.EqualTo(24));
        Assert.That(Offsets<BmcvConvertToAttr>("Alpha0", "Beta0", "Alpha1", "Beta1", "Alpha2", "Beta2"), Is.EqualTo(new[] { 0, 4, 8, 12, 16, 20 }));
    }

    [Test]
    public void ShapeRefusesMoreThanEightDims()
    {
        Assert.That(() => BmShape.From(new int[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }

    private static int[] Offsets<T>(params string[] fields) => fields.Select(f => (int)Marshal.OffsetOf<T>(f)).ToArray();
}
