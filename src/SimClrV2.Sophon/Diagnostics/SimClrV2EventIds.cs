namespace SimClrV2.Sophon.Diagnostics;

/// <summary>
/// The stable event ids of this library's log messages, for filters and alerts (they never change
/// meaning between versions). 1xxx: models and classifiers; 2xxx: runs and inputs; 3xxx: SOPHON.
/// Internal: the README's "Logging and telemetry" section lists them for users.
/// </summary>
internal static class SimClrV2EventIds
{
    /// <summary>A classifier was created (engine, input, batch, preprocessing). Information.</summary>
    public const int ClassifierCreated = 1000;

    /// <summary>The model's manifest was found and used (its path). Information.</summary>
    public const int ManifestFound = 1001;

    /// <summary>The model has no manifest: labels are class indexes and preprocessing the CIFAR-10 convention unless the options say otherwise. Warning.</summary>
    public const int ManifestMissing = 1002;

    /// <summary>A logits model's outputs already sum to 1 (a softmax model not marked as one). Warning.</summary>
    public const int OutputsLookLikeProbabilities = 1003;

    /// <summary>Warning, when a classifier is made: libturbojpeg is not installed, so JPEGs decode at full size with ImageSharp; the message names the package and every path tried.</summary>
    public const int JpegDecoderMissing = 1004;

    /// <summary>A run finished: inputs, failures, time, rate. Information.</summary>
    public const int RunCompleted = 2000;

    /// <summary>One input failed; it is an error entry (its name and reason). Warning.</summary>
    public const int InputFailed = 2001;

    /// <summary>The caller's input sequence threw; the results so far are kept. Error.</summary>
    public const int InputSequenceFailed = 2002;

    /// <summary>No batch buffer could be rented; that batch's inputs are error entries. Error.</summary>
    public const int BatchBufferFailed = 2003;

    /// <summary>Inference of a batch failed; its inputs are error entries. Error.</summary>
    public const int InferenceFailed = 2004;

    /// <summary>libsophon was loaded (the path of each library). Information.</summary>
    public const int SophonLibraryLoaded = 3000;

    /// <summary>An image outside BMCV's limits was preprocessed on the CPU. Warning.</summary>
    public const int BmcvFallbackToCpu = 3001;
}
