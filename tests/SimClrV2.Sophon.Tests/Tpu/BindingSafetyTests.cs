using System.Reflection;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The binding's version and lifetime hazards on real boards: the stage layout, the bmcv line,
/// library loading, handles passed as SafeHandles, and disposal while work is queued or running.
/// </summary>
public class BindingSafetyTests : EmulatorTestBase
{
    private const string Probe = "simclrv2-probe.dll";

    [Test]
    public unsafe void AnUnknownStageLayoutRefusesNetworksWithSeveralStagesInsteadOfGuessing()
    {
        using var net = new FakeNetInfo(stages: 2);

        Assert.That(SophonNetworkInfo.Read(net.Pointer, SophonStageLayout.Extended).Stages.Select(s => s.BatchSize), Is.EqualTo(new[] { 1, 4 }));
        Assert.That(
            () => SophonNetworkInfo.Read(net.Pointer, SophonStageLayout.Auto),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("SophonLibraryOptions.StageLayout").And.Message.Contains("2 stages"));
        using var single = new FakeNetInfo(stages: 1);
        Assert.That(SophonNetworkInfo.Read(single.Pointer, SophonStageLayout.Auto).Stages, Has.Count.EqualTo(1), "stages[0] is at the same place in both layouts");
    }

    [Test]
    public void AMisreadLayoutIsAnExceptionNotADereferenceOfGarbage()
    {
        using var net = new FakeNetInfo(stages: 2);

        // Read with the 16-byte stride, stage 1's "input_shapes" is stage 0's input_mems pointer: here misaligned garbage.
        Assert.That(
            () => SophonNetworkInfo.Read(net.Pointer, SophonStageLayout.Legacy),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("not 4-byte aligned"));
    }

    [Test]
    public void TheNewerBmcvLineIsRefusedBeforeAnyImageExists()
    {
        Assert.That(SophonLibrary.IsBm1684xBmcvLine("1.1.0"), Is.True);
        Assert.That(SophonLibrary.IsBm1684xBmcvLine("none"), Is.True, "older releases lack bm_get_bmcv_version");
        Assert.That(SophonLibrary.IsBm1684xBmcvLine("2.0.0"), Is.False);
        Assert.That(SophonLibrary.IsBm1684xBmcvLine("v3.1"), Is.False);
        Assert.That(SophonLibrary.IsBm1684xBmcvLine(""), Is.False, "unparseable: refused");
        Emulator.SetBmcvVersion("2.0.0");

        Assert.That(
            () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv }),
            Throws.TypeOf<SophonException>().With.Message.Contains("version 2.0.0").And.Message.Contains("bm_image_destroy takes bm_image*"));
    }

    [Test]
    public void TheDeviceCountNeedsOnlyLibbmlib()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir.File("libbmlib.so.0"), Path.Combine(Emulator.Folder, "libbmlib.so.0"));

        ChildProcess.Result result = ChildProcess.Run(Probe, TimeSpan.FromMinutes(1), new Dictionary<string, string> { [SophonLibrary.DirectoryVariable] = dir.Path }, "device-count");

        Assert.That(result.ExitCode, Is.Zero, result.Err);
        Assert.That(result.Out, Does.Contain("devices 1"), "no libbmrt in the folder, and the device is still counted");
    }

    [Test]
    public void ALibraryWhoseDependencyIsMissingSaysSoAndNamesTheLoaderPath()
    {
        string dlerror = "Unable to load shared library '/opt/sdk/libbmrt.so.1.0' or one of its dependencies.\nlibbmlib.so: cannot open shared object file: No such file or directory";
        string missingItself = "Unable to load ...\n/opt/sdk/libbmrt.so.1.0: cannot open shared object file: No such file or directory";

        Assert.That(SophonLibrary.LoaderError(dlerror, "/opt/sdk/libbmrt.so.1.0"), Does.Contain("a library it needs, libbmlib.so, is not on the loader path").And.Contain("LD_LIBRARY_PATH=/opt/sdk"));
        Assert.That(SophonLibrary.LoaderError(missingItself, "/opt/sdk/libbmrt.so.1.0"), Does.Not.Contain("LD_LIBRARY_PATH"));
    }

    [Test]
    public void NativeDeclarationsTakeSafeHandlesExceptTheReleaseFunctions()
    {
        string[] release = ["bm_dev_free", "bm_free_device", "bmrt_destroy", "bm_dev_request"];
        var raw = typeof(SophonNative).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null && !release.Contains(m.Name))
            .Where(m => m.GetParameters().Any(p => p.ParameterType == typeof(IntPtr) && p.Name is "handle" or "runtime"))
            .Select(m => m.Name);

        Assert.That(raw, Is.Empty, "live handles are passed as SafeHandles, so the marshaller holds a reference during the call");
    }

    [Test]
    public void TheEmulatorExportsEveryFunctionTheBindingDeclares() => AssertEveryEntryPointIsExported();

    /// <summary>Every <c>LibraryImport</c> entry point of the binding is exported by the library it names (the loaded libbmlib, libbmrt, libbmcv).</summary>
    internal static void AssertEveryEntryPointIsExported()
    {
        SophonLibrary.EnsureBmcvLoaded();
        var libraries = new Dictionary<string, string[]>
        {
            [SophonNative.BmLib] = ["libbmlib.so.0", "libbmlib.so"],
            [SophonNative.BmRt] = ["libbmrt.so.1.0", "libbmrt.so"],
            [SophonNative.BmCv] = ["libbmcv.so.0", "libbmcv.so"],
        };
        var missing = new List<string>();
        foreach (MethodInfo method in typeof(SophonNative).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            LibraryImportAttribute? import = method.GetCustomAttribute<LibraryImportAttribute>();
            if (import is null)
            {
                continue;
            }

            IntPtr library = libraries[import.LibraryName].Select(n => NativeLibrary.TryLoad(n, typeof(SophonNative).Assembly, null, out IntPtr h) ? h : IntPtr.Zero).FirstOrDefault(h => h != IntPtr.Zero);
            if (library == IntPtr.Zero || !NativeLibrary.TryGetExport(library, import.EntryPoint ?? method.Name, out _))
            {
                missing.Add($"{import.LibraryName}:{import.EntryPoint}");
            }
        }

        Assert.That(missing, Is.Empty, "declared entry points the loaded libraries do not export");
    }

    [Test]
    public void DisposingWhileALaunchIsStillQueuedDrainsTheDeviceBeforeFreeingItsMemory()
    {
        using var engine = new SophonEngine(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4), Preprocess = PreprocessBackend.Bmcv });
        var bmcv = new BmcvPreprocessor(PreprocessingOptions.Cifar10, engine, fallbackToCpu: false);
        InferenceBatch batch = engine.RentBatch();
        using (DecodedImage image = ImageInput.FromPixels(TestData.RandomBytes(32 * 32 * 3, 3), 32, 32, "x").Decode())
        {
            bmcv.Process(image, batch, 0);
        }

        // The sync fails and so does the drain after it: the launch stays queued on the device,
        // reading the batch's device input. Freeing that memory first would be a use after free
        // (the emulator aborts the process on it).
        Emulator.SetFaults("bm_thread_sync:1,bm_handle_sync:1");
        Assert.That(() => engine.Run(batch, 1), Throws.TypeOf<SophonException>().With.Property(nameof(SophonException.Function)).EqualTo("bm_thread_sync"));
        Emulator.SetFaults(null);

        engine.Dispose();

        Assert.That(() => engine.Run(batch, 1), Throws.TypeOf<ObjectDisposedException>());
    }

    [TestCase(1)]
    [TestCase(2)]
    public void DisposingDuringClassifyOnOneOrTwoDevicesIsCleanInAChildProcess(int devices) =>
        DisposeDuringClassify(25, devices, "cpu", $"dispose during classify on {devices} device(s)");

    [Test]
    public void DisposingDuringBmcvPreprocessing200TimesUsesNoFreedMemory() =>
        DisposeDuringClassify(100, 1, "bmcv", "dispose during BMCV preprocessing");

    /// <summary>
    /// The probe disposes an INT8 classifier while two threads classify with it, <paramref name="trials"/> times, in
    /// a child process: the emulator aborts on a use of freed device memory, and reports leaks and unsynced launches.
    /// </summary>
    private static void DisposeDuringClassify(int trials, int devices, string preprocess, string what)
    {
        ChildProcess.Result result = ChildProcess.Run(
            Probe,
            TimeSpan.FromMinutes(4),
            new Dictionary<string, string> { ["SOPHON_EMU_DEVICES"] = "2" },
            "dispose-during-sophon-classify",
            Emulator.Model("int8", 4),
            Emulator.Folder,
            trials.ToString(System.Globalization.CultureInfo.InvariantCulture),
            devices.ToString(System.Globalization.CultureInfo.InvariantCulture),
            preprocess);

        Assert.That(result.TimedOut, Is.False);
        Assert.That(result.ExitCode, Is.Zero, result.Out + result.Err);
        Assert.That(result.Out, Does.Contain($"runs {2 * trials}").And.Contain("outstanding 0, unsynced 0"), "no use after free (the emulator aborts on one), nothing leaked, every launch synced");
        TestContext.Progress.WriteLine($"{what}: {result.Out.Trim()}");
    }

    [Test]
    public void DeviceMemoryDisposedIsRefusedNotUsed()
    {
        using SophonModel model = SophonModel.Load(Emulator.Model("fp32", 1));
        DeviceMemoryHandle memory = DeviceMemoryHandle.Allocate(model.Runtime, 4096);
        memory.Dispose();

        Assert.That(() => memory.CopyFromHost(new byte[16]), Throws.TypeOf<ObjectDisposedException>(), "the lease is refused: bm_memcpy_s2d_partial never sees the freed range");
        Assert.That(() => memory.CopyToHost(new byte[16]), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => memory.Slice(0, 16), Throws.TypeOf<ObjectDisposedException>());
    }

    /// <summary>
    /// A bm_net_info_t in unmanaged memory with the 32-byte stage layout: one FLOAT32 input and
    /// output, stages of batch 1 and 4, and input_mems pointers that are misaligned garbage.
    /// </summary>
    private sealed unsafe class FakeNetInfo : IDisposable
    {
        private readonly List<IntPtr> _blocks = [];

        public FakeNetInfo(int stages)
        {
            byte* info = Alloc(128);
            byte* name = Utf8("fake");
            *(IntPtr*)(info + NetInfoOffsets.Name) = (IntPtr)name;
            *(int*)(info + NetInfoOffsets.InputNum) = 1;
            *(int*)(info + NetInfoOffsets.OutputNum) = 1;
            foreach ((int names, int dtypes, int scales, string tensor) in new[] { (NetInfoOffsets.InputNames, NetInfoOffsets.InputDTypes, NetInfoOffsets.InputScales, "input"), (NetInfoOffsets.OutputNames, NetInfoOffsets.OutputDTypes, NetInfoOffsets.OutputScales, "logits") })
            {
                IntPtr* n = (IntPtr*)Alloc(8);
                n[0] = (IntPtr)Utf8(tensor);
                *(IntPtr*)(info + names) = (IntPtr)n;
                *(IntPtr*)(info + dtypes) = (IntPtr)Alloc(4);
                float* s = (float*)Alloc(4);
                s[0] = 1f;
                *(IntPtr*)(info + scales) = (IntPtr)s;
            }

            *(int*)(info + NetInfoOffsets.StageNum) = stages;
            byte* stageArray = Alloc(NetInfoOffsets.StageSize * stages);
            for (int i = 0; i < stages; i++)
            {
                int batch = i == 0 ? 1 : 4;
                byte* stage = stageArray + (i * NetInfoOffsets.StageSize);
                *(IntPtr*)stage = (IntPtr)Shape(batch, 3, 32, 32);
                *(IntPtr*)(stage + 8) = (IntPtr)Shape(batch, 10);
                *(IntPtr*)(stage + 16) = 0x1003; // input_mems: not a shape, and not aligned
                *(IntPtr*)(stage + 24) = 0x2005;
            }

            *(IntPtr*)(info + NetInfoOffsets.Stages) = (IntPtr)stageArray;
            long* maxIn = (long*)Alloc(8);
            maxIn[0] = 4 * 3 * 32 * 32 * 4;
            long* maxOut = (long*)Alloc(8);
            maxOut[0] = 4 * 10 * 4;
            *(IntPtr*)(info + NetInfoOffsets.MaxInputBytes) = (IntPtr)maxIn;
            *(IntPtr*)(info + NetInfoOffsets.MaxOutputBytes) = (IntPtr)maxOut;
            Pointer = (IntPtr)info;
        }

        public IntPtr Pointer { get; }

        public void Dispose()
        {
            foreach (IntPtr block in _blocks)
            {
                NativeMemory.AlignedFree((void*)block);
            }
        }

        private byte* Alloc(int bytes)
        {
            void* p = NativeMemory.AlignedAlloc((nuint)bytes, 16);
            NativeMemory.Clear(p, (nuint)bytes);
            _blocks.Add((IntPtr)p);
            return (byte*)p;
        }

        private byte* Utf8(string text)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text + "\0");
            byte* p = Alloc(bytes.Length);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            return p;
        }

        private BmShape* Shape(params int[] dims)
        {
            var shape = (BmShape*)Alloc(sizeof(BmShape));
            *shape = BmShape.From(dims);
            return shape;
        }
    }
}
