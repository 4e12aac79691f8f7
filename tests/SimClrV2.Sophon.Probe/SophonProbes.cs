using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
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
        "raw-load-data FILE LIBDIR | load-data FILE LIBDIR | damage-sweep FILE LIBDIR COUNT | load-file FILE LIBDIR | device-count | dispose-during-sophon-classify BMODEL LIBDIR TRIALS DEVICES [cpu|bmcv]";

    public static bool TryRun(string[] args, out int code)
    {
        code = args switch
        {
            ["raw-load-data", string file, string lib] => RawLoadData(file, lib),
            ["load-data", string file, string lib] => Report(lib, () => SophonModel.Load(File.ReadAllBytes(file))),
            ["load-file", string file, string lib] => LoadFile(file, lib),
            ["damage-sweep", string file, string lib, string count] => DamageSweep(file, lib, int.Parse(count, CultureInfo.InvariantCulture)),
            ["device-count"] => Print($"devices {SophonRuntime.GetDeviceCount()}"),
            ["dispose-during-sophon-classify", string bmodel, string lib, string trials, string devices] =>
                DisposeDuringClassify(bmodel, lib, int.Parse(trials, CultureInfo.InvariantCulture), int.Parse(devices, CultureInfo.InvariantCulture), PreprocessBackend.Cpu),
            ["dispose-during-sophon-classify", string bmodel, string lib, string trials, string devices, string preprocess] =>
                DisposeDuringClassify(bmodel, lib, int.Parse(trials, CultureInfo.InvariantCulture), int.Parse(devices, CultureInfo.InvariantCulture), Enum.Parse<PreprocessBackend>(preprocess, ignoreCase: true)),
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

    /// <summary>
    /// Damages a bmodel at <paramref name="count"/> places spread over every region (the header, the
    /// flatbuffer's root offset, vtables, field offsets, strings and net vector, the binary region),
    /// one at a time, and loads each through the public load-from-bytes API
    /// (<see cref="ClassifierModel.FromBytes"/>). Prints "damage N at OFFSET (KIND): loaded|refused TYPE"
    /// before and after each load, so a process ended inside the runtime names the damage that did it.
    /// </summary>
    private static int DamageSweep(string file, string lib, int count)
    {
        SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = lib });
        byte[] valid = File.ReadAllBytes(file);
        int flatbuffer = 64 + BitConverter.ToInt32(valid, 8);
        var random = new Random(24);
        int loaded = 0, refused = 0;
        for (int i = 0; i < count; i++)
        {
            byte[] damaged = (byte[])valid.Clone();
            // A third in the header and the flatbuffer's first 64 bytes (root, vtables, offsets), a third in the rest of it, a third in the binary region.
            int at = (i % 3) switch
            {
                0 => random.Next(Math.Min(128, flatbuffer)),
                1 => random.Next(Math.Min(128, flatbuffer), flatbuffer),
                _ => random.Next(flatbuffer, valid.Length),
            };
            string kind;
            switch (i % 10 == 9 ? -1 : i % 4)
            {
                case -1:
                    // A vtable that declares fields it does not have (model.fbs: Model's neuron_size,
                    // kernel_module, ...; Net's parameter, cascade, ...): what only the FlatBuffers
                    // verifier looks at, not the managed checks.
                    at = (i / 10) % 2 == 0 ? VTable(valid, 64 + BitConverter.ToInt32(valid, 64)) : VTable(valid, FirstNet(valid));
                    BitConverter.TryWriteBytes(damaged.AsSpan(at, 2), (ushort)(BitConverter.ToUInt16(valid, at) + (2 * (1 + ((i / 20) % 4)))));
                    kind = "vtable grown";
                    break;
                case 0:
                    damaged[at] ^= 0xFF;
                    kind = "bits flipped";
                    break;
                case 1:
                    BitConverter.TryWriteBytes(damaged.AsSpan(at & ~3, Math.Min(4, damaged.Length - (at & ~3))), random.Next());
                    kind = "word replaced";
                    break;
                case 2:
                    BitConverter.TryWriteBytes(damaged.AsSpan(at & ~3, Math.Min(4, damaged.Length - (at & ~3))), int.MaxValue - random.Next(64));
                    kind = "offset past the end";
                    break;
                default:
                    damaged = damaged[..Math.Max(1, at)];
                    kind = "truncated";
                    break;
            }

            Console.Write($"damage {i} at {at} ({kind}): ");
            Console.Out.Flush();
            try
            {
                using ImageClassifier classifier = SophonImageClassifier.Create(new SophonClassifierOptions { Model = ClassifierModel.FromBytes("damaged", damaged) });
                loaded++;
                Print("loaded");
            }
            catch (Exception ex) when (ex is SophonException or InvalidDataException or ArgumentException or InvalidOperationException)
            {
                refused++;
                Print($"refused {ex.GetType().Name}");
            }
        }

        return Print($"survived {count}: loaded {loaded}, refused {refused}");
    }

    /// <summary>The vtable of the table at <paramref name="table"/> (a flatbuffer's soffset).</summary>
    private static int VTable(byte[] bytes, int table) => table - BitConverter.ToInt32(bytes, table);

    /// <summary>The first Net table: the Model's field 4 (the net vector), its first element.</summary>
    private static int FirstNet(byte[] bytes)
    {
        int model = 64 + BitConverter.ToInt32(bytes, 64);
        int field = model + BitConverter.ToUInt16(bytes, VTable(bytes, model) + 4 + (2 * 4));
        int vector = field + BitConverter.ToInt32(bytes, field);
        return vector + 4 + BitConverter.ToInt32(bytes, vector + 4);
    }

    /// <summary>Disposes a SOPHON classifier while two threads classify with it; prints the outcome and the emulator's outstanding allocations.</summary>
    private static int DisposeDuringClassify(string bmodel, string lib, int trials, int devices, PreprocessBackend preprocess)
    {
        SophonLibrary.Configure(new SophonLibraryOptions { SearchDirectory = lib });
        DisposalTrials.Outcome outcome = DisposalTrials.Run(
            () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel, DeviceIds = Enumerable.Range(0, devices).ToArray(), Preprocess = preprocess }), trials, threadsPerTrial: 2, seed: 11);
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
