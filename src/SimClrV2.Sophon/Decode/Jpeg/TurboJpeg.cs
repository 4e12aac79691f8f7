using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// The system's libjpeg-turbo through its TurboJPEG API (Debian/Ubuntu <c>libturbojpeg0</c>, also in
/// the Ubuntu images of SOPHON boards): SIMD JPEG decode, at full size or scaled 1/2, 1/4, 1/8 in the
/// DCT domain, straight to RGB. Found the way libsophon is: <c>SIMCLRV2_TURBOJPEG_PATH</c> naming the
/// file (or <c>none</c> to not use it), then the loader's versioned names; when it is missing
/// <see cref="Unavailable"/> lists every name and path tried, and JPEGs decode with ImageSharp.
/// The functions are looked up once and called through function pointers (no DllImport resolver,
/// which the SOPHON binding owns for this assembly); each decoding thread keeps one decompressor.
/// </summary>
internal static unsafe class TurboJpeg
{
    /// <summary>The environment variable naming the library file, or <c>none</c>.</summary>
    public const string PathVariable = "SIMCLRV2_TURBOJPEG_PATH";

    private const int PixelFormatRgb = 0;        // TJPF_RGB
    private const int ColorspaceCmyk = 3;        // TJCS_CMYK
    private const int ColorspaceYcck = 4;        // TJCS_YCCK
    private const int ErrorWarning = 0;          // TJERR_WARNING

    private static readonly Lazy<Api?> Library = new(Load);
    private static string? s_unavailable;

    /// <summary>Whether libturbojpeg was found (loads it on first use).</summary>
    public static bool IsAvailable => Library.Value is not null;

    /// <summary>Why it is not used: every name and path tried, and what to install; null when it is.</summary>
    public static string? Unavailable => Library.Value is null ? s_unavailable : null;

    /// <summary>Where it was loaded from; null when it was not.</summary>
    public static string? LoadedFrom { get; private set; }

    /// <summary>
    /// Decodes a JPEG of the size the caller checked (<paramref name="expectedWidth"/> x
    /// <paramref name="expectedHeight"/>) to interleaved RGB in a rented array (return it to
    /// <see cref="System.Buffers.ArrayPool{T}.Shared"/>), at 1/<paramref name="reduction"/> scale (1, 2, 4 or 8:
    /// sides ceil(side / reduction)). False, with nothing rented, when the header cannot be read, says
    /// another size, or the JPEG is CMYK/YCCK (TurboJPEG gives no RGB for those).
    /// </summary>
    /// <exception cref="InvalidDataException">TurboJPEG refused the stream (a warning alone, such as extraneous bytes, is not an error).</exception>
    public static bool TryDecode(ReadOnlySpan<byte> jpeg, int expectedWidth, int expectedHeight, int reduction, out byte[] rented, out int width, out int height)
    {
        Api api = Library.Value ?? throw new InvalidOperationException("libturbojpeg is not loaded.");
        IntPtr handle = Decompressor.ForThisThread(api);
        (rented, width, height) = (Array.Empty<byte>(), 0, 0);
        fixed (byte* source = jpeg)
        {
            var size = new CULong((nuint)jpeg.Length);
            int w, h, subsampling, colorspace;
            if (api.DecompressHeader3(handle, source, size, &w, &h, &subsampling, &colorspace) != 0)
            {
                Decompressor.Discard();
                return false;
            }

            if (w != expectedWidth || h != expectedHeight || colorspace is ColorspaceCmyk or ColorspaceYcck)
            {
                return false;
            }

            (width, height) = ((w + reduction - 1) / reduction, (h + reduction - 1) / reduction);
            rented = System.Buffers.ArrayPool<byte>.Shared.Rent(checked(width * height * 3));
            int result;
            fixed (byte* destination = rented)
            {
                result = api.Decompress2(handle, source, size, destination, width, width * 3, height, PixelFormatRgb, 0);
            }

            bool warningOnly = result == 0 || api.GetErrorCode(handle) == ErrorWarning;
            string message = warningOnly ? string.Empty : Marshal.PtrToStringUTF8(api.GetErrorStr2(handle)) ?? "libturbojpeg could not decode it";
            if (result != 0)
            {
                Decompressor.Discard();
            }

            if (!warningOnly)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                rented = Array.Empty<byte>();
                throw new InvalidDataException(message);
            }
        }

        return true;
    }

    /// <summary>
    /// One TurboJPEG decompressor per thread (handles are not thread-safe; making one per image costs
    /// an allocation of libjpeg's state each time). It is destroyed when its thread is gone and the
    /// finalizer runs, and replaced after any failure or warning: a libjpeg error that ends a call by
    /// longjmp can leave the decompressor in a state where every later header on it fails, which sent
    /// that thread's JPEGs to ImageSharp at random.
    /// </summary>
    private sealed class Decompressor : SafeHandle
    {
        [ThreadStatic]
        private static Decompressor? t_current;

        private readonly Api _api;

        private Decompressor(Api api, IntPtr handle)
            : base(IntPtr.Zero, ownsHandle: true)
        {
            _api = api;
            SetHandle(handle);
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        public static IntPtr ForThisThread(Api api)
        {
            if (t_current is not { IsInvalid: false } current)
            {
                IntPtr handle = api.InitDecompress();
                current = handle != IntPtr.Zero ? new Decompressor(api, handle) : throw new InvalidOperationException("tjInitDecompress failed (out of memory).");
                t_current = current;
            }

            return current.DangerousGetHandle();
        }

        /// <summary>Destroys this thread's decompressor; the next decode makes a fresh one.</summary>
        public static void Discard()
        {
            t_current?.Dispose();
            t_current = null;
        }

        protected override bool ReleaseHandle() => _api.Destroy(handle) == 0;
    }

    private static Api? Load()
    {
        string? configured = Environment.GetEnvironmentVariable(PathVariable);
        if (string.Equals(configured, "none", StringComparison.OrdinalIgnoreCase))
        {
            s_unavailable = $"libturbojpeg is turned off ({PathVariable}=none)";
            return null;
        }

        string[] candidates = !string.IsNullOrEmpty(configured)
            ? [configured]
            : OperatingSystem.IsWindows() ? ["turbojpeg.dll"]
            : OperatingSystem.IsMacOS() ? ["libturbojpeg.0.dylib", "libturbojpeg.dylib", "/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.dylib", "/usr/local/opt/jpeg-turbo/lib/libturbojpeg.dylib"]
            : ["libturbojpeg.so.0", "libturbojpeg.so", "/opt/libjpeg-turbo/lib64/libturbojpeg.so"];
        var tried = new List<string>();
        foreach (string name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr library))
            {
                tried.Add(name);
                continue;
            }

            if (Api.From(library) is { } api)
            {
                LoadedFrom = name;
                return api;
            }

            tried.Add($"{name} (loaded, but without the TurboJPEG 2 functions tjDecompress2/tjGetErrorCode)");
        }

        s_unavailable = $"libturbojpeg was not found (tried {string.Join(", ", tried)}); install it (Debian/Ubuntu: apt-get install libturbojpeg0) or set {PathVariable} to the file";
        return null;
    }

    /// <summary>The TurboJPEG functions used, as function pointers.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<IntPtr> InitDecompress;
        public delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public delegate* unmanaged<IntPtr, int> Destroy;
        public delegate* unmanaged<IntPtr, IntPtr> GetErrorStr2;
        public delegate* unmanaged<IntPtr, int> GetErrorCode;

        public static Api? From(IntPtr library)
        {
            if (!NativeLibrary.TryGetExport(library, "tjInitDecompress", out IntPtr init)
                || !NativeLibrary.TryGetExport(library, "tjDecompressHeader3", out IntPtr header)
                || !NativeLibrary.TryGetExport(library, "tjDecompress2", out IntPtr decompress)
                || !NativeLibrary.TryGetExport(library, "tjDestroy", out IntPtr destroy)
                || !NativeLibrary.TryGetExport(library, "tjGetErrorStr2", out IntPtr error)
                || !NativeLibrary.TryGetExport(library, "tjGetErrorCode", out IntPtr code))
            {
                return null;
            }

            return new Api
            {
                InitDecompress = (delegate* unmanaged<IntPtr>)init,
                DecompressHeader3 = (delegate* unmanaged<IntPtr, byte*, CULong, int*, int*, int*, int*, int>)header,
                Decompress2 = (delegate* unmanaged<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int>)decompress,
                Destroy = (delegate* unmanaged<IntPtr, int>)destroy,
                GetErrorStr2 = (delegate* unmanaged<IntPtr, IntPtr>)error,
                GetErrorCode = (delegate* unmanaged<IntPtr, int>)code,
            };
        }
    }
}
