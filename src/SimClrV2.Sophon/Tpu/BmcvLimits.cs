namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// What one BMCV pass takes on a chip (libsophon's VPP code): image sides, the scale ratio of one
/// resize, and the sides <c>bmcv_image_convert_to</c> takes. The chip is read with <c>bm_get_chipid</c>;
/// a chip this library does not know gets the BM1684's, the smaller limits.
/// </summary>
/// <param name="Chip">The chip's name.</param>
/// <param name="MinSide">Smallest image side.</param>
/// <param name="MaxSide">Largest image side.</param>
/// <param name="MaxScale">Largest scale ratio of one resize pass, either way.</param>
/// <param name="MinConvertSide">Smallest side convert_to takes.</param>
/// <param name="MaxConvertSide">Largest side convert_to takes.</param>
internal sealed record BmcvLimits(string Chip, int MinSide, int MaxSide, int MaxScale, int MinConvertSide, int MaxConvertSide)
{
    /// <summary><c>bm_get_chipid</c> of the BM1684X.</summary>
    public const uint Bm1684XId = 0x1686;

    /// <summary>The BM1684X: 8..8192, ratio 128; convert_to of 1N_BYTE input runs on the VPP (same sides).</summary>
    public static BmcvLimits Bm1684X { get; } = new("BM1684X", 8, 8192, 128, 8, 8192);

    /// <summary>The BM1684: 16..4096, ratio 32; convert_to 16..2048.</summary>
    public static BmcvLimits Bm1684 { get; } = new("BM1684", 16, 4096, 32, 16, 2048);

    /// <summary>The limits of a chip id (unknown chips: the BM1684's).</summary>
    public static BmcvLimits For(uint chipId) => chipId == Bm1684XId ? Bm1684X : Bm1684;

    /// <summary>Whether an image side is one BMCV takes.</summary>
    public bool Takes(int side) => side >= MinSide && side <= MaxSide;

    /// <summary>
    /// The sizes of the resize passes from a source to a destination: one pass when the ratio is
    /// within <see cref="MaxScale"/> each way, else intermediate sizes a ratio of at most
    /// <see cref="MaxScale"/> apart, ending at the destination.
    /// </summary>
    public IReadOnlyList<(int Width, int Height)> Passes(int width, int height, int toWidth, int toHeight)
    {
        var passes = new List<(int, int)>();
        (int w, int h) = (width, height);
        do
        {
            (w, h) = (Step(w, toWidth), Step(h, toHeight));
            passes.Add((w, h));
        }
        while (w != toWidth || h != toHeight);
        return passes;
    }

    private int Step(int from, int to) =>
        from > (long)to * MaxScale ? (from + MaxScale - 1) / MaxScale
        : to > (long)from * MaxScale ? from * MaxScale
        : to;
}
