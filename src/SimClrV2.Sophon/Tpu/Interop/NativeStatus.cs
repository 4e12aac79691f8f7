namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary>
/// The one check-and-throw path for every native status of the binding: bmlib's and bmcv's
/// <c>bm_status_t</c>, and bmrt's false/NULL results (as <see cref="SophonStatus.RuntimeFailed"/>).
/// </summary>
internal static class NativeStatus
{
    /// <summary>Throws a <see cref="SophonException"/> naming the function, the status and what to check, unless the call succeeded.</summary>
    /// <param name="status">What the function returned.</param>
    /// <param name="function">The native function.</param>
    /// <param name="context">What was being done and what to check.</param>
    /// <exception cref="SophonException">The call failed.</exception>
    public static void Check(SophonStatus status, string function, string context)
    {
        if (status != SophonStatus.Success)
        {
            throw new SophonException(function, status, context);
        }
    }

    /// <summary>For bmrt's <c>bool</c> results (1 byte): false becomes <see cref="SophonStatus.RuntimeFailed"/>.</summary>
    public static void Check(byte result, string function, string context) =>
        Check(result != 0 ? SophonStatus.Success : SophonStatus.RuntimeFailed, function, context);

    /// <summary>For bmrt's pointer results: NULL becomes <see cref="SophonStatus.RuntimeFailed"/>.</summary>
    public static IntPtr Check(IntPtr result, string function, string context)
    {
        Check(result != IntPtr.Zero ? SophonStatus.Success : SophonStatus.RuntimeFailed, function, context);
        return result;
    }
}
