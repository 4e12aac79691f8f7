namespace SimClrV2.Sophon.Tpu;

/// <summary>A libsophon call failed: names the function, the status (bmlib's <c>bm_status_t</c>, or false/NULL for bmrt) and what to check. Thrown by this library only (its constructors are internal, as ONNX Runtime's exceptions' are).</summary>
public class SophonException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    internal SophonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    internal SophonException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="function">The native function.</param>
    /// <param name="status">The status it returned (<see cref="SophonStatus.RuntimeFailed"/> for a false/NULL result of bmrt).</param>
    /// <param name="message">What failed and what to check.</param>
    internal SophonException(string function, SophonStatus status, string message)
        : base($"{function} failed{(status >= 0 ? $" with status {(int)status} ({StatusName(status)})" : string.Empty)}: {message}")
    {
        Function = function;
        Status = status;
    }

    /// <summary>The native function that failed.</summary>
    public string? Function { get; }

    /// <summary>Its status: a <c>bm_status_t</c>, or <see cref="SophonStatus.RuntimeFailed"/> when a bmrt function returned false or NULL.</summary>
    public SophonStatus Status { get; } = SophonStatus.RuntimeFailed;

    /// <summary>The vendor's name of a status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>E.g. <c>BM_ERR_FAILURE</c>.</returns>
    internal static string StatusName(SophonStatus status) => status switch
    {
        SophonStatus.Success => "BM_SUCCESS",
        SophonStatus.DeviceNotReady => "BM_ERR_DEVNOTREADY",
        SophonStatus.Failure => "BM_ERR_FAILURE",
        SophonStatus.Timeout => "BM_ERR_TIMEOUT",
        SophonStatus.Parameter => "BM_ERR_PARAM",
        SophonStatus.NoMemory => "BM_ERR_NOMEM",
        SophonStatus.Data => "BM_ERR_DATA",
        SophonStatus.Busy => "BM_ERR_BUSY",
        SophonStatus.NoFeature => "BM_ERR_NOFEATURE",
        SophonStatus.NotSupported => "BM_NOT_SUPPORTED",
        SophonStatus.RuntimeFailed => "false/NULL from bmrt",
        _ => "unknown",
    };
}

/// <summary>A libsophon status: bmlib's and bmcv's <c>bm_status_t</c> (a 4-byte int), plus <see cref="RuntimeFailed"/> for bmrt, which reports failure as false or NULL.</summary>
public enum SophonStatus
{
    /// <summary>bmrt returned false or NULL (it printed the reason on stdout, <c>[BMRT]</c> lines).</summary>
    RuntimeFailed = -1,

    /// <summary>BM_SUCCESS.</summary>
    Success = 0,

    /// <summary>BM_ERR_DEVNOTREADY.</summary>
    DeviceNotReady = 1,

    /// <summary>BM_ERR_FAILURE (also: no driver or no device).</summary>
    Failure = 2,

    /// <summary>BM_ERR_TIMEOUT.</summary>
    Timeout = 3,

    /// <summary>BM_ERR_PARAM.</summary>
    Parameter = 4,

    /// <summary>BM_ERR_NOMEM.</summary>
    NoMemory = 5,

    /// <summary>BM_ERR_DATA.</summary>
    Data = 6,

    /// <summary>BM_ERR_BUSY.</summary>
    Busy = 7,

    /// <summary>BM_ERR_NOFEATURE.</summary>
    NoFeature = 8,

    /// <summary>BM_NOT_SUPPORTED.</summary>
    NotSupported = 9,
}

/// <summary>libsophon could not be loaded; the message lists every path tried and the fix.</summary>
public sealed class SophonLibraryNotFoundException : SophonException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    internal SophonLibraryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    internal SophonLibraryNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="tried">Each path tried, with why it failed.</param>
    internal SophonLibraryNotFoundException(string message, IReadOnlyList<string> tried)
        : base(message)
    {
        Tried = tried;
    }

    /// <summary>Each path tried, with why it failed.</summary>
    public IReadOnlyList<string> Tried { get; } = [];
}

/// <summary>A bmodel that cannot be read safely (unknown dtype, impossible shape) or used by a classifier.</summary>
public sealed class SophonModelException : SophonException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    internal SophonModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    internal SophonModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
