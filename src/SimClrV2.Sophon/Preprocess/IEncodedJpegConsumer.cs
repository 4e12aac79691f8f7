namespace SimClrV2.Sophon.Preprocess;

/// <summary>A preprocessor that may take JPEG inputs still encoded (it decodes them on a device); the classifier then skips their host decode.</summary>
internal interface IEncodedJpegConsumer
{
    /// <summary>True when JPEGs should reach the preprocessor encoded.</summary>
    bool TakesEncodedJpeg { get; }
}
