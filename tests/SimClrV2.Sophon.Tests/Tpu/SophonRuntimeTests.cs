using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>Library loading, devices, model info and the threading rule, against the emulator.</summary>
public class SophonRuntimeTests : EmulatorTestBase
{
    [Test]
    public void MissingLibraryListsEveryPathTriedAndTheFix()
    {
        var ex = Assert.Throws<SophonLibraryNotFoundException>(() =>
            SophonLibrary.Find(["libbmlib-missing.so.0", "libbmlib-missing.so"], new SophonLibraryOptions { SearchDirectory = "/nonexistent/sdk" }));

        Assert.That(ex!.Tried, Has.Count.EqualTo(6));
        Assert.That(ex.Message, Does.Contain("/nonexistent/sdk/libbmlib-missing.so.0: no such file")
            .And.Contain("/opt/sophon/libsophon-current/lib/libbmlib-missing.so")
            .And.Contain("cannot open shared object file")
            .And.Contain(SophonLibrary.DirectoryVariable));
    }

    [Test]
    public void DeviceCountComesFromTheDriverAndIsZeroWithoutDevices()
    {
        Assert.That(SophonRuntime.GetDeviceCount(), Is.EqualTo(1));
        Emulator.SetDevices(0);
        Assert.That(SophonRuntime.GetDeviceCount(), Is.Zero);
        Emulator.SetFaults("bm_dev_getcount:1");
        Emulator.SetDevices(2);
        Assert.That(SophonRuntime.GetDeviceCount(), Is.Zero, "a failing driver means no device, not an exception");
    }

    [Test]
    public void OpeningAMissingDeviceIsATypedErrorNamingTheCall()
    {
        var ex = Assert.Throws<SophonException>(() => SophonModel.Load(Emulator.Model("fp32", 1), deviceId: 3));
        Assert.That(ex!.Function, Is.EqualTo("bm_dev_request"));
        Assert.That(ex.Message, Does.Contain("device 3"));
    }

    [Test]
    public void LoadReadsNetworksStagesDtypesShapesAndScales()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("int8", 4));

        SophonNetworkInfo net = model.GetNetwork();
        Assert.That(net.Name, Is.EqualTo("simclrv2"));
        Assert.That(net.IsDynamic, Is.False);
        Assert.That((net.Inputs[0].Name, net.Inputs[0].DataType), Is.EqualTo(("input", SophonDataType.Int8)));
        Assert.That((net.Outputs[0].Name, net.Outputs[0].DataType), Is.EqualTo(("logits", SophonDataType.Int8)));
        Assert.That(net.Inputs[0].Scale, Is.GreaterThan(1f), "127 / max|x| of the calibration set");
        Assert.That(net.Stages.Select(s => s.BatchSize), Is.EqualTo(new[] { 4 }));
        Assert.That(net.Stages[0].InputShapes[0], Is.EqualTo(new[] { 4, 3, 32, 32 }));
        Assert.That(net.Stages[0].OutputShapes[0], Is.EqualTo(new[] { 4, 10 }));
        Assert.That((net.MaxInputBytes[0], net.MaxOutputBytes[0]), Is.EqualTo((4L * 3 * 32 * 32, 40L)));
        Assert.That(() => model.GetNetwork("other"), Throws.TypeOf<SophonModelException>().With.Message.Contains("'simclrv2'"));
    }

    [Test]
    public void SecondStageIsReadWithTheExtendedStride()
    {
        using var dir = new TempDir();
        string path = dir.File("two-stage.bmodel");
        File.Copy(TestData.DefaultModel, dir.File("m.onnx"));
        EmulatedModels.WriteBModel(path, "# sophon-emulator bmodel 1\nnet=two\nonnx=m.onnx\ninput=input FLOAT32 1\noutput=logits FLOAT32 1\nstage=1x3x32x32 1x10\nstage=4x3x32x32 4x10\n");

        using SophonModel model = SophonModel.Load(path);

        Assert.That(model.GetNetwork().Stages.Select(s => s.BatchSize), Is.EqualTo(new[] { 1, 4 }));
        Assert.That(model.GetNetwork().Stages[1].OutputShapes[0], Is.EqualTo(new[] { 4, 10 }));
    }

    [Test]
    public void LoadsABModelFromMemory()
    {
        byte[] text = EmulatedModels.Pack($"# sophon-emulator bmodel 1\nnet=mem\nonnx={TestData.DefaultModel}\ninput=input FLOAT16 1\noutput=logits FLOAT32 1\nstage=2x3x32x32 2x10\n");

        using SophonModel model = SophonModel.Load(text);

        Assert.That(model.Source, Is.EqualTo("memory"));
        Emulator.SetFaults("bmrt_load_bmodel:1");
        Assert.That(() => SophonModel.Load(text), Throws.TypeOf<SophonException>().With.Property(nameof(SophonException.Function)).EqualTo("bmrt_load_bmodel"), "bytes load through a private copy, never bmrt_load_bmodel_data");
        Assert.That((model.GetNetwork().Name, model.GetNetwork().Inputs[0].DataType, model.GetNetwork().Stages[0].BatchSize), Is.EqualTo(("mem", SophonDataType.Float16, 2)));
    }

    [Test]
    public void AFileThatIsNotABModelIsRefusedAndNothingLeaks()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.bmodel");
        File.WriteAllText(path, "not a bmodel");

        var ex = Assert.Throws<SophonModelException>(() => SophonModel.Load(path));
        Assert.That(ex!.Message, Does.Contain("truncated or not a bmodel"), "refused before the runtime saw it");
        Assert.That(() => SophonModel.Load(dir.File("none.bmodel")), Throws.TypeOf<FileNotFoundException>());
    }

    [Test]
    public unsafe void SyncFromAnotherThreadDoesNotWaitForTheLaunchJustLikeTheDriver()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        using DeviceMemoryHandle input = DeviceMemoryHandle.Allocate(model.Runtime, 3 * 32 * 32 * 4);
        using DeviceMemoryHandle output = DeviceMemoryHandle.Allocate(model.Runtime, 40);
        using DeviceMemoryHandle projection = DeviceMemoryHandle.Allocate(model.Runtime, 128 * 4), h = DeviceMemoryHandle.Allocate(model.Runtime, 128 * 4);
        SophonDeviceHandle device = model.Device;
        byte[] net = "simclrv2\0"u8.ToArray();
        var logits = new float[10];
        int[] dims = [1, 3, 32, 32];

        RunOn(() =>
        {
            BmTensor inT = new() { DType = 0, Shape = BmShape.From(dims), DeviceMem = input.Memory };
            // The emulated default model has three outputs (logits, projection, h): a launch passes them all.
            BmTensor* outT = stackalloc BmTensor[3];
            outT[0] = new() { DType = 0, DeviceMem = output.Memory };
            outT[1] = new() { DType = 0, DeviceMem = projection.Memory };
            outT[2] = new() { DType = 0, DeviceMem = h.Memory };
            fixed (byte* n = net)
            {
                Assert.That(SophonNative.bmrt_launch_tensor_ex(model.Runtime, n, &inT, 1, outT, 3, 1, 0), Is.EqualTo(1));
            }
        });
        RunOn(() => Assert.That(SophonNative.bm_thread_sync(device), Is.EqualTo(SophonStatus.Success)));
        fixed (float* p = logits)
        {
            Assert.That(SophonNative.bm_memcpy_d2s_partial(device, p, output.Memory, 40), Is.EqualTo(SophonStatus.Success));
        }

        Assert.That(logits, Is.All.Zero, "a sync on another OS thread returned without running the launch");
        Assert.That(SophonNative.bm_handle_sync(device), Is.EqualTo(SophonStatus.Success));
        fixed (float* p = logits)
        {
            SophonNative.bm_memcpy_d2s_partial(device, p, output.Memory, 40);
        }

        Assert.That(logits, Has.Some.Not.Zero, "bm_handle_sync ran it");
    }

    private static void RunOn(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw error;
        }
    }
}
