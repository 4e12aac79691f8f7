using System.Numerics.Tensors;
using SimClrV2.Sophon.Embeddings;

namespace SimClrV2.Sophon.Tests.Embeddings;

/// <summary>
/// The two-pass search (8-bit approximations, then exact rescoring) must answer exactly what scoring
/// every row in float answers: the same rows, the same values, ties to the lower row.
/// </summary>
public class SimilaritySearchTests
{
    private static void RequireQuantized()
    {
        if (!QuantizedRows.IsSupported)
        {
            Assert.Ignore("This CPU (or DOTNET_EnableAVX2=0) has no AVX2: the search scores every row exactly, which the other kNN tests cover.");
        }
    }

    /// <summary>Unit rows: uniform in [-1, 1], or around ten centres after a ReLU (as the projection embedding is), or near-duplicates.</summary>
    private static float[] Rows(string kind, int count, int dimension, int seed)
    {
        var random = new Random(seed);
        float[][] centres = [.. Enumerable.Range(0, 10).Select(_ => Uniform(random, dimension))];
        var rows = new float[count * dimension];
        for (int i = 0; i < count; i++)
        {
            Span<float> row = rows.AsSpan(i * dimension, dimension);
            Uniform(random, dimension).CopyTo(row);
            switch (kind)
            {
                case "clustered":
                    TensorPrimitives.MultiplyAdd(row, 0.4f, centres[i % 10], row);
                    TensorPrimitives.Max(row, 0f, row);
                    break;
                case "near-duplicates":
                    // Ten images, each many times over with noise at the 8-bit step's scale, and exact copies (ties).
                    TensorPrimitives.MultiplyAdd(row, i % 3 == 0 ? 0f : 0.002f, centres[i % 10], row);
                    break;
            }

            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        return rows;
    }

    private static float[] Uniform(Random random, int dimension) =>
        [.. Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];

    private static float[] Query(float[] rows, int dimension, int seed, bool nearARow)
    {
        var random = new Random(seed);
        float[] q = Uniform(random, dimension);
        if (nearARow)
        {
            TensorPrimitives.MultiplyAdd(q, 0.05f, rows.AsSpan(random.Next(rows.Length / dimension) * dimension, dimension), q);
        }

        TensorPrimitives.Divide(q, TensorPrimitives.Norm(q), q);
        return q;
    }

    [TestCase("uniform", 128)]
    [TestCase("clustered", 128)] // no negative value: unsigned rows where AVX-VNNI exists
    [TestCase("near-duplicates", 128)]
    [TestCase("clustered", 100)] // rows padded to the 32-byte step
    [TestCase("clustered", 2048)] // ResNet-50's pooled features
    public void NoApproximateSimilarityIsFurtherFromTheExactOneThanItsMargin(string kind, int dimension)
    {
        RequireQuantized();
        const int count = 1500;
        float[] rows = Rows(kind, count, dimension, seed: dimension);
        QuantizedRows quantized = QuantizedRows.Build(rows, dimension);
        var approx = new float[count];
        var exact = new float[count];
        var codes = new byte[quantized.Stride];
        for (int seed = 0; seed < 5; seed++)
        {
            float[] query = Query(rows, dimension, seed, nearARow: seed % 2 == 0);
            var q = new QuantizedQuery(query, quantized, codes);
            quantized.Approximate(q, approx);
            SimilarityKernel.Compute(rows, query, exact);

            var margins = new float[count];
            for (int i = 0; i < count; i++)
            {
                margins[i] = q.Margin(quantized.Norms[i], quantized.Residuals[i]);
            }

            float[] errors = [.. approx.Zip(exact, (a, e) => Math.Abs(a - e))];
            Assert.That(Enumerable.Range(0, count).Where(i => errors[i] > margins[i]), Is.Empty, $"{kind}, d = {dimension}, query {seed}: rows outside their margin");
            Assert.That(margins, Is.All.LessThanOrEqualTo(q.ErrorBound));
            Assert.That(q.ErrorBound, Is.LessThan(0.05f), "a bound this loose would rescore most rows");
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void TheMarginHoldsWhereEveryRoundingErrorPointsTheSameWay(bool steppedRow)
    {
        // Values just under half a step past a code all round down by the same amount, and a flat
        // vector (every value the largest: no rounding) lies along that error: the bound's
        // Cauchy-Schwarz step is then nearly an equality, so a margin that left a term out would fail.
        RequireQuantized();
        const int d = 128;
        float[] stepped = [.. Enumerable.Range(0, d).Select(i => i == 0 ? 127f : (i % 100) + 10.49f)];
        float[] flat = [.. Enumerable.Repeat(1f, d)];
        TensorPrimitives.Divide(stepped, TensorPrimitives.Norm(stepped), stepped);
        TensorPrimitives.Divide(flat, TensorPrimitives.Norm(flat), flat);
        (float[] row, float[] query) = steppedRow ? (stepped, flat) : (flat, stepped);
        float[] rows = [.. Enumerable.Repeat(row, 9).SelectMany(r => r)]; // a block of eight and a tail
        QuantizedRows quantized = QuantizedRows.Build(rows, d, allowUnsigned: false);
        var q = new QuantizedQuery(query, quantized, new byte[quantized.Stride]);
        var approx = new float[9];
        quantized.Approximate(q, approx);
        float exact = SimilarityKernel.Row(row, query);

        for (int i = 0; i < 9; i++)
        {
            float margin = q.Margin(quantized.Norms[i], quantized.Residuals[i]);
            Assert.That(Math.Abs(approx[i] - exact), Is.LessThanOrEqualTo(margin).And.GreaterThan(0.9f * margin), $"row {i}");
        }
    }

    [Test]
    public void RowsWithNoNegativeValueHalveTheirRoundingErrorWhereAvxVnniExists()
    {
        RequireQuantized();
        float[] rows = Rows("clustered", 1000, 128, seed: 2);
        QuantizedRows signed = QuantizedRows.Build(rows, 128, allowUnsigned: false);
        QuantizedRows unsignedRows = QuantizedRows.Build(rows, 128);
        if (!unsignedRows.UnsignedRows)
        {
            Assert.Ignore("No AVX-VNNI here: rows stay signed.");
        }

        Assert.That(unsignedRows.MaxResidual, Is.LessThan(signed.MaxResidual * 0.6f));
        Assert.That(QuantizedRows.Build(Rows("uniform", 1000, 128, seed: 2), 128).UnsignedRows, Is.False, "rows with negative values stay signed");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void EveryIntegerKernelGivesTheIntegerDotProduct(bool nonNegativeRows)
    {
        RequireQuantized();
        const int d = 96, count = 1027; // blocks of eight and a tail
        float[] rows = Rows(nonNegativeRows ? "clustered" : "uniform", count, d, seed: 3);
        float[] query = Query(rows, d, seed: 4, nearARow: false);
        var kernels = new List<float[]>();
        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        foreach (bool vnni in new[] { true, false })
        {
            var codes = new byte[quantized.Stride];
            var approx = new float[count];
            quantized.Approximate(new QuantizedQuery(query, quantized, codes), approx, vnni);
            kernels.Add(approx);
        }

        // The reference: the same rounding, multiplied out in 64-bit integers.
        var rowCodes = new byte[d];
        var queryCodes = new byte[d];
        (float qScale, _, _) = QuantizedRows.Quantize(query, queryCodes, unsignedCodes: false);
        var expected = new float[count];
        for (int i = 0; i < count; i++)
        {
            (float scale, _, _) = QuantizedRows.Quantize(rows.AsSpan(i * d, d), rowCodes, quantized.UnsignedRows);
            long dot = 0;
            for (int j = 0; j < d; j++)
            {
                dot += (quantized.UnsignedRows ? rowCodes[j] : (sbyte)rowCodes[j]) * (sbyte)queryCodes[j];
            }

            expected[i] = dot * qScale * scale;
        }

        Assert.That(kernels, Is.All.EqualTo(expected));
    }

    [TestCase("uniform", 1, true)]
    [TestCase("uniform", 200, false)]
    [TestCase("clustered", 10, true)]
    [TestCase("clustered", 200, true)]
    [TestCase("near-duplicates", 10, true)]
    [TestCase("near-duplicates", 200, true)]
    public void TheTwoPassSearchFindsExactlyWhatScoringEveryRowFinds(string kind, int k, bool sorted)
    {
        RequireQuantized();
        const int d = 128, count = 5000;
        float[] rows = Rows(kind, count, d, seed: k);
        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        for (int seed = 0; seed < 20; seed++)
        {
            float[] query = Query(rows, d, seed, nearARow: seed % 2 == 1);
            (int[] fastTop, float[] fastSims, float fastBest) = Search(rows, quantized, query, k, sorted);
            (int[] top, float[] sims, float best) = Search(rows, null, query, k, sorted);

            Assert.That(fastBest, Is.EqualTo(best), $"query {seed}: best similarity");
            if (sorted)
            {
                Assert.That(fastTop, Is.EqualTo(top), $"query {seed}: rows in order");
                Assert.That(fastSims, Is.EqualTo(sims), $"query {seed}: similarities in order");
            }
            else
            {
                Assert.That(fastTop.Zip(fastSims).OrderBy(p => p.First), Is.EqualTo(top.Zip(sims).OrderBy(p => p.First)), $"query {seed}: the same rows with the same similarities");
            }
        }
    }

    [Test]
    public void ExactCopiesRankByRowAsTheExactSearchRanksThem()
    {
        RequireQuantized();
        const int d = 128, count = 2000;
        float[] rows = Rows("uniform", count, d, seed: 8);
        for (int i = 1000; i < count; i += 3)
        {
            rows.AsSpan(17 * d, d).CopyTo(rows.AsSpan(i * d, d)); // 334 copies of row 17
        }

        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        float[] query = rows.AsSpan(17 * d, d).ToArray();

        (int[] top, _, float best) = Search(rows, quantized, query, 200, sorted: true);

        Assert.That(top, Is.EqualTo(new[] { 17 }.Concat(Enumerable.Range(0, 334).Select(i => 1000 + (3 * i))).Take(200)));
        Assert.That(best, Is.EqualTo(SimilarityKernel.Row(query, query)));
    }

    [Test]
    public void RowsThatHideTheirBestFromTheSampleAreStillFound()
    {
        // The histogram's floor comes from every 8th row; here those rows are the query's near-copies
        // and no others come close, so the floor lies above the 200th best and the search must count again.
        RequireQuantized();
        const int d = 128, count = 4000;
        float[] rows = Rows("uniform", count, d, seed: 12);
        float[] query = Query(rows, d, seed: 13, nearARow: false);
        var random = new Random(14);
        for (int i = 0; i < count; i += 8)
        {
            Span<float> row = rows.AsSpan(i * d, d);
            float[] noise = Uniform(random, d);
            TensorPrimitives.MultiplyAdd(noise, 0.3f / TensorPrimitives.Norm(noise), query, row);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        (int[] fastTop, float[] fastSims, _) = Search(rows, quantized, query, 200, sorted: true);
        (int[] top, float[] sims, _) = Search(rows, null, query, 200, sorted: true);

        Assert.That(top, Is.All.Matches<int>(i => i % 8 == 0), "the near-copies are the 200 best");
        Assert.That((fastTop, fastSims), Is.EqualTo((top, sims)));
    }

    [Test]
    public void AQueryThatIsNotFiniteIsScoredAsTheExactSearchScoresIt()
    {
        RequireQuantized();
        const int d = 128;
        float[] rows = Rows("uniform", 2000, d, seed: 9);
        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        float[] query = Query(rows, d, seed: 1, nearARow: false);
        query[5] = float.NaN;

        (int[] fastTop, _, float fastBest) = Search(rows, quantized, query, 10, sorted: true);
        (int[] top, _, float best) = Search(rows, null, query, 10, sorted: true);

        Assert.That((fastTop, fastBest), Is.EqualTo((top, best)));
    }

    [Test]
    public void AZeroQueryIsScoredAsTheExactSearchScoresIt()
    {
        // Every similarity is zero: no scale to quantize by, a histogram of zero width; every row ties.
        RequireQuantized();
        const int d = 128;
        float[] rows = Rows("uniform", 2000, d, seed: 10);
        QuantizedRows quantized = QuantizedRows.Build(rows, d);
        var query = new float[d];

        (int[] fastTop, float[] fastSims, float fastBest) = Search(rows, quantized, query, 200, sorted: true);
        (int[] top, float[] sims, float best) = Search(rows, null, query, 200, sorted: true);

        Assert.That((fastTop, fastSims, fastBest), Is.EqualTo((top, sims, best)));
        Assert.That(top, Is.EqualTo(Enumerable.Range(0, 200)), "ties go to the lower row");
    }

    private static (int[] Top, float[] Sims, float Best) Search(float[] rows, QuantizedRows? quantized, float[] query, int k, bool sorted)
    {
        var top = new int[k];
        var sims = new float[k];
        float best = SimilaritySearch.Top(rows, quantized, query, top, sims, sorted);
        return (top, sims, best);
    }
}
