using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>The managed structs must have the vendor's sizes and offsets exactly (64-bit Linux).</summary>
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
    public void NetInfoPrefixOffsetsEndAtOutputZeroPoint()
    {
        int[] offsets =
        [
            NetInfoOffsets.Name, NetInfoOffsets.IsDynamic, NetInfoOffsets.InputNum, NetInfoOffsets.InputNames, NetInfoOffsets.InputDTypes,
            NetInfoOffsets.InputScales, NetInfoOffsets.OutputNum, NetInfoOffsets.OutputNames, NetInfoOffsets.OutputDTypes, NetInfoOffsets.OutputScales,
            NetInfoOffsets.StageNum, NetInfoOffsets.Stages, NetInfoOffsets.MaxInputBytes, NetInfoOffsets.MaxOutputBytes, NetInfoOffsets.InputZeroPoint,
            NetInfoOffsets.OutputZeroPoint,
        ];

        Assert.That(offsets, Is.EqualTo(new[] { 0, 8, 12, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112 }));
        Assert.That((NetInfoOffsets.LegacyStageSize, NetInfoOffsets.StageSize), Is.EqualTo((16, 32)));
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
