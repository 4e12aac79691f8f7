using System.Globalization;
using SimClrV2.Cli;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>The few-shot draws' generator against NumPy itself: the same seed picks the same images.</summary>
public class NumpyGeneratorTests
{
    private const string Python = "/usr/bin/python3";

    // (seed, population, size, how many choices in a row): small classes, a whole class (size =
    // population), a sample of none, NumPy's tail-shuffle branch (population over 10,000 and size over
    // a fiftieth of it) and its Floyd branch beside it, and a seed of two 32-bit words.
    private static readonly (ulong Seed, int Population, int Size, int Repeats)[] Cases =
    [
        (0, 500, 1, 3), (0, 500, 5, 3), (0, 500, 10, 3), (1, 7, 7, 2), (3, 2, 0, 1), (0, 1, 1, 1),
        (42, 20000, 10, 2), (42, 20000, 500, 1), (5_000_000_000, 100, 30, 2), (1_000_000_000, 65536, 2000, 1),
    ];

    [Test]
    public void ChoiceWithoutReplacementPicksWhatNumpysDefaultGeneratorPicks()
    {
        if (!File.Exists(Python) || ChildProcess.RunProgram(Python, ["-c", "import numpy"], TimeSpan.FromSeconds(60)).ExitCode != 0)
        {
            Assert.Ignore($"{Python} with numpy (Debian: python3-numpy, which .ci/run's python3-torch brings) is the reference.");
        }

        string script = "import numpy as np, sys\n"
            + "for case in sys.argv[1:]:\n"
            + "    seed, pop, size, reps = map(int, case.split(':'))\n"
            + "    g = np.random.default_rng(seed)\n"
            + "    print(' | '.join(','.join(map(str, g.choice(pop, size, replace=False))) for _ in range(reps)))\n"
            + "g = np.random.default_rng(7)\n"
            + "print(','.join(str(g.bit_generator.random_raw()) for _ in range(4)))\n";
        ChildProcess.Result numpy = ChildProcess.RunProgram(Python, ["-c", script, .. Cases.Select(c => $"{c.Seed}:{c.Population}:{c.Size}:{c.Repeats}")], TimeSpan.FromMinutes(1));
        Assert.That(numpy.ExitCode, Is.Zero, numpy.Err);

        var ours = new List<string>();
        foreach ((ulong seed, int population, int size, int repeats) in Cases)
        {
            var generator = new NumpyGenerator(seed);
            ours.Add(string.Join(" | ", Enumerable.Range(0, repeats).Select(_ => string.Join(',', generator.Choice(population, size)))));
        }

        var raw = new NumpyGenerator(7);
        ours.Add(string.Join(',', Enumerable.Range(0, 4).Select(_ => raw.NextUInt64().ToString(CultureInfo.InvariantCulture))));
        Assert.That(ours, Is.EqualTo(numpy.Out.TrimEnd('\n').Split('\n')));
    }

    [Test]
    public void ChoiceGivesDistinctIndexesOfThePopulationEachEquallyOften()
    {
        var generator = new NumpyGenerator(11);
        var counts = new int[50];
        const int Draws = 20_000;
        for (int i = 0; i < Draws; i++)
        {
            int[] picked = generator.Choice(50, 5);
            Assert.That(picked, Is.Unique.And.All.InRange(0, 49));
            foreach (int p in picked)
            {
                counts[p]++;
            }
        }

        // Each index is picked with probability 5/50: 2,000 times, binomial SD about 42; 6 SD either way.
        Assert.That(counts, Is.All.InRange(2000 - 255, 2000 + 255));
        Assert.That(() => generator.Choice(3, 4), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
