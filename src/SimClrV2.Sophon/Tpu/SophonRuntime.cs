using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Entry points of the SOPHON binding that need no device.</summary>
public static class SophonRuntime
{
    /// <summary>
    /// The number of SOPHON devices; 0 (never an exception) when libbmlib or the driver is missing.
    /// Only libbmlib is loaded: a libbmrt that cannot be loaded does not hide the devices (the
    /// model calls then report why it cannot load).
    /// </summary>
    /// <returns>The device count.</returns>
    public static unsafe int GetDeviceCount()
    {
        try
        {
            SophonLibrary.EnsureBmlibLoaded();
        }
        catch (SophonLibraryNotFoundException)
        {
            return 0;
        }

        int count = 0; // bm_dev_getcount leaves it untouched when there is no driver
        return SophonNative.bm_dev_getcount(&count) == SophonStatus.Success ? Math.Max(count, 0) : 0;
    }
}
