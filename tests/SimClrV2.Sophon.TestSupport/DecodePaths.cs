using SimClrV2.Sophon.Decode;

namespace SimClrV2.Sophon.TestSupport;

/// <summary>Decode configurations the benchmarks compare that the public options do not offer.</summary>
public static class DecodePaths
{
    /// <summary>The decoder before libturbojpeg: ImageSharp for every JPEG, at full size (the photo benchmarks' old path).</summary>
    public static DecodeOptions ImageSharpOnly(DecodeOptions options)
    {
        DecodeOptions copy = options.Clone();
        copy.ReducedJpegDecode = false;
        copy.UseTurboJpeg = false;
        return copy;
    }
}
