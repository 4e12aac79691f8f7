namespace SimClrV2.Sophon.Tpu;

/// <summary>A libsophon call failed: names the function, the status (bmlib's <c>bm_status_t</c>, or false/NULL for bmrt) and what to check.</summary>
public class SophonException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SophonException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public SophonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SophonException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="function">The native function.</param>
    /// <param name="status">The status it returned (-1 for a false/NULL result of bmrt).</param>
    /// <param name="message">What failed and what to check.</param>
    public SophonException(string function, int status, string message)
        : base($"{function} failed{(status >= 0 ? $" with status {status} ({StatusName(status)})" : string.Empty)}: {message}")
    {
        Function = function;
        Status = status;
    }

    /// <summary>The native function that failed.</summary>
    public string? Function { get; }

    /// <summary>Its status: a <c>bm_status_t</c>, or -1 when a bmrt function returned false or NULL.</summary>
    public int Status { get; } = -1;

    /// <summary>The name of a <c>bm_status_t</c> value.</summary>
    /// <param name="status">The status.</param>
    /// <returns>E.g. <c>BM_ERR_FAILURE</c>.</returns>
    public static string StatusName(int status) => status switch
    {
        0 => "BM_SUCCESS",
        1 => "BM_ERR_DEVNOTREADY",
        2 => "BM_ERR_FAILURE",
        3 => "BM_ERR_TIMEOUT",
        4 => "BM_ERR_PARAM",
        5 => "BM_ERR_NOMEM",
        6 => "BM_ERR_DATA",
        7 => "BM_ERR_BUSY",
        8 => "BM_ERR_NOFEATURE",
        9 => "BM_NOT_SUPPORTED",
        _ => "unknown",
    };
}

/// <summary>libsophon could not be loaded; the message lists every path tried and the fix.</summary>
public sealed class SophonLibraryNotFoundException : SophonException
{
    /// <summary>Creates the exception.</summary>
    public SophonLibraryNotFoundException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public SophonLibraryNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SophonLibraryNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="tried">Each path tried, with why it failed.</param>
    public SophonLibraryNotFoundException(string message, IReadOnlyList<string> tried)
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
    public SophonModelException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public SophonModelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SophonModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
