using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Entry points of the SOPHON binding that need no device.</summary>
public static class SophonRuntime
{
    /// <summary>The number of SOPHON devices; 0 (never an exception) when libsophon or the driver is missing.</summary>
    /// <returns>The device count.</returns>
    public static unsafe int GetDeviceCount()
    {
        try
        {
            SophonLibrary.EnsureLoaded();
        }
        catch (SophonLibraryNotFoundException)
        {
            return 0;
        }

        int count = 0; // bm_dev_getcount leaves it untouched when there is no driver
        return SophonNative.bm_dev_getcount(&count) == 0 ? Math.Max(count, 0) : 0;
    }
}
