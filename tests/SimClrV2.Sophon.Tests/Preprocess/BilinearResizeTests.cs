using System.Buffers;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Tests.Preprocess;

public class BilinearResizeTests
{
    [Test]
    public void DownscalingByTwoAveragesNeighbours()
    {
        // One row of 4 pixels (grey levels) to 2: source x = (d + 0.5) * 2 - 0.5 = 0.5 and 2.5.
        byte[] source = [0, 0, 0, 100, 100, 100, 200, 200, 200, 50, 50, 50];
        byte[] result = BilinearResize.Resize(source, planar: false, 4, 1, 2, 1);
        try
        {
            Assert.That(result.AsSpan(0, 6).ToArray(), Is.EqualTo(new byte[] { 50, 50, 50, 125, 125, 125 }));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(result);
        }
    }

    [Test]
    public void UpscalingClampsAtTheEdgesAndRoundsToNearest()
    {
        // 2 pixels to 4: x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (second pixel, weight of a missing third ignored).
        byte[] source = [10, 0, 0, 21, 0, 0];
        byte[] result = BilinearResize.Resize(source, planar: false, 2, 1, 4, 1);
        try
        {
            Assert.That(new[] { result[0], result[3], result[6], result[9] }, Is.EqualTo(new byte[] { 10, 13, 18, 21 }));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(result);
        }
    }

    [Test]
    public void PlanarAndInterleavedSourcesGiveTheSameImage()
    {
        byte[] interleaved = TestSupport.TestData.RandomBytes(7 * 5 * 3, 3);
        byte[] planar = new byte[interleaved.Length];
        for (int i = 0; i < 35; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar[(c * 35) + i] = interleaved[(i * 3) + c];
            }
        }

        byte[] a = BilinearResize.Resize(interleaved, planar: false, 7, 5, 3, 4);
        byte[] b = BilinearResize.Resize(planar, planar: true, 7, 5, 3, 4);
        Assert.That(b.AsSpan(0, 36).ToArray(), Is.EqualTo(a.AsSpan(0, 36).ToArray()));
        ArrayPool<byte>.Shared.Return(a);
        ArrayPool<byte>.Shared.Return(b);
    }
}
