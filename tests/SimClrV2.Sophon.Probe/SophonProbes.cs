using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Probe;

/// <summary>
/// SOPHON scenarios that may end the process (the vendor's exit(-1), the emulator's abort on a use
/// after free), each against the libraries in LIBDIR (the emulator): the tests read the exit code
/// and the output.
/// </summary>
internal static unsafe class SophonProbes
{
    public const string Usage =
        "raw-load-data FILE LIBDIR | load-data FILE LIBDIR | load-file FILE LIBDIR | device-count | dispose-during-sophon-classify BMODEL LIBDIR TRIALS DEVICES";

    public static bool TryRun(string[] args, out int code)
    {
        code = args switch
        {
            ["raw-load-data", string file, string lib] => RawLoadData(file, lib),
            ["load-data", string file, string lib] => Report(lib, () => SophonModel.Load(File.ReadAllBytes(file))),
            ["load-file", string file, string lib] => LoadFile(file, lib),
            ["device-count"] => Print($"devices {SophonRuntime.GetDeviceCount()}"),
            ["dispose-during-sophon-classify", string bmodel, string lib, string trials, string devices] =>
                DisposeDuringClassify(bmodel, lib, int.Parse(trials, CultureInfo.InvariantCulture), int.Parse(devices, CultureInfo.InvariantCulture)),
            _ => -1,
        };
        return code != -1;
    }

    /// <summary>Calls libbmrt's bmrt_load_bmodel_data directly, as a binding without checks would.</summary>
    private static int RawLoadData(string file, string lib)
    {
        byte[] data = File.ReadAllBytes(file);
        using var raw = new RawRuntime(lib);
        fixed (byte* p = data)
        {
            byte ok = ((delegate* unmanaged<IntPtr, void*, nuint, byte>)raw.Export(raw.BmRt, "bmrt_load_bmodel_data"))(raw.Runtime, p, (nuint)data.Length);
            return Print($"bmrt_load_bmodel_data returned {(ok != 0 ? "true" : "false")}");
        }
    }

    /// <summary>bmrt_load_bmodel on the path directly (what the vendor does with it), then SophonModel.Load.</summary>
    private static int LoadFile(string file, string lib)
    {
        using (var raw = new RawRuntime(lib))
        {
            byte[] path = Encoding.UTF8.GetBytes(Path.GetFullPath(file) + "\0");
            fixed (byte* p = path)
            {
                byte ok = ((delegate* unmanaged<IntPtr, byte*, byte>)raw.Export(raw.BmRt, "bmrt_load_bmodel"))(raw.Runtime, p);
                Print($"bmrt_load_bmodel returned {(ok != 0 ? "true" : "false")}");
            }
        }

        return Report(lib, () => SophonModel.Load(file));
    }

    private static int Report(string lib, Func<SophonModel> load)
    {
        SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = lib });
        try
        {
            using SophonModel model = load();
            return Print($"loaded {model.GetNetwork().Name} with {model.GetNetwork().Stages.Count} stage(s)");
        }
        catch (SophonException ex)
        {
            return Print($"refused {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Disposes a SOPHON classifier while two threads classify with it; prints the outcome and the emulator's outstanding allocations.</summary>
    private static int DisposeDuringClassify(string bmodel, string lib, int trials, int devices)
    {
        SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = lib });
        DisposalTrials.Outcome outcome = DisposalTrials.Run(
            () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel, DeviceIds = Enumerable.Range(0, devices).ToArray() }), trials, threadsPerTrial: 2, seed: 11);
        if (outcome.Error is not null)
        {
            Console.WriteLine(outcome.Error);
            return 1;
        }

        IntPtr bmlib = NativeLibrary.Load(Path.Combine(lib, "libbmlib.so.0"));
        int count;
        ulong bytes;
        ((delegate* unmanaged<int*, ulong*, void>)NativeLibrary.GetExport(bmlib, "bm_emu_outstanding"))(&count, &bytes);
        int unsynced = ((delegate* unmanaged<int>)NativeLibrary.GetExport(bmlib, "bm_emu_unsynced"))();
        return Print($"runs {outcome.Runs}, completed {outcome.Completed}, disposed-mid-run {outcome.DisposedMidRun}, outstanding {count}, unsynced {unsynced}");
    }

    private static int Print(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
        return 0;
    }

    /// <summary>Device 0 and a runtime on it, through the libraries' exports with no binding in between.</summary>
    private sealed class RawRuntime : IDisposable
    {
        private readonly IntPtr _bmLib;
        private readonly IntPtr _device;

        public RawRuntime(string lib)
        {
            _bmLib = NativeLibrary.Load(Path.Combine(lib, "libbmlib.so.0"));
            BmRt = NativeLibrary.Load(Path.Combine(lib, "libbmrt.so.1.0"));
            IntPtr device;
            if (((delegate* unmanaged<IntPtr*, int, int>)Export(_bmLib, "bm_dev_request"))(&device, 0) != 0)
            {
                throw new InvalidOperationException("bm_dev_request failed");
            }

            _device = device;
            Runtime = ((delegate* unmanaged<IntPtr, IntPtr>)Export(BmRt, "bmrt_create"))(device);
        }

        public IntPtr BmRt { get; }

        public IntPtr Runtime { get; }

        public IntPtr Export(IntPtr library, string name) => NativeLibrary.GetExport(library, name);

        public void Dispose()
        {
            ((delegate* unmanaged<IntPtr, void>)Export(BmRt, "bmrt_destroy"))(Runtime);
            ((delegate* unmanaged<IntPtr, void>)Export(_bmLib, "bm_dev_free"))(_device);
        }
    }
}
