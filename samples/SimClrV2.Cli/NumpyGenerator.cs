namespace SimClrV2.Cli;

/// <summary>
/// NumPy's default random generator, bit for bit: <c>np.random.default_rng(seed)</c> (a
/// <c>SeedSequence</c> seeding PCG64) and <c>Generator.choice(n, size, replace=False)</c>. The
/// few-shot commands draw their support images with it, so <c>--seed S</c> picks the images a Python
/// script with <c>rng = np.random.default_rng(S)</c> and <c>rng.choice(members, shots,
/// replace=False)</c> per class picks, and figures measured in Python reproduce exactly.
/// Each step follows NumPy's source (numpy/random): the seeding in <c>bit_generator.pyx</c>
/// (<c>SeedSequence.mix_entropy</c>, <c>generate_state</c>) and <c>_pcg64.pyx</c>; PCG64 in
/// <c>src/pcg64/pcg64.h</c> (XSL-RR output, 32-bit draws halving one 64-bit draw, low half first);
/// bounded integers in <c>src/distributions/distributions.c</c> (<c>random_bounded_uint64</c>: Lemire's
/// method on 32-bit draws, the branch every range below 2^32 takes); sampling without replacement in <c>_generator.pyx</c>
/// (<c>choice</c>: Floyd's algorithm with a hash set then a shuffle, or a tail shuffle for large
/// samples). A test compares it with NumPy itself.
/// </summary>
internal sealed class NumpyGenerator
{
    private static readonly UInt128 Multiplier = new(2549297995355413924UL, 4865540595714422341UL);

    private readonly UInt128 _increment;
    private UInt128 _state;
    private bool _hasHalf;
    private uint _half;

    /// <summary>The generator <c>np.random.default_rng(seed)</c> makes.</summary>
    /// <param name="seed">The seed (a non-negative integer, as NumPy takes it).</param>
    public NumpyGenerator(ulong seed)
    {
        uint[] words = SeedSequenceState(seed);
        ulong Word64(int i) => words[2 * i] | (ulong)words[(2 * i) + 1] << 32;
        var initialState = new UInt128(Word64(0), Word64(1));
        var sequence = new UInt128(Word64(2), Word64(3));

        // pcg_setseq_128_srandom_r.
        _increment = (sequence << 1) | 1;
        _state = 0;
        Step();
        _state += initialState;
        Step();
    }

    /// <summary>The next 64 random bits (<c>pcg64_next64</c>).</summary>
    public ulong NextUInt64()
    {
        Step();
        ulong high = (ulong)(_state >> 64), low = (ulong)_state;
        return ulong.RotateRight(high ^ low, (int)(high >> 58));
    }

    // The next 32 random bits (pcg64_next32: the low half of a 64-bit draw, then its high half).
    private uint NextUInt32()
    {
        if (_hasHalf)
        {
            _hasHalf = false;
            return _half;
        }

        ulong next = NextUInt64();
        _hasHalf = true;
        _half = (uint)(next >> 32);
        return (uint)next;
    }

    // A uniform integer in 0..max, both included: random_bounded_uint64 without a mask. Indexes of an
    // int population are below 2^31, so only its 32-bit branch (Lemire's method on 32-bit draws) is
    // ever taken; NumPy's 64-bit branch serves ranges this class never draws from.
    private int Bounded(int max)
    {
        if (max == 0)
        {
            return 0;
        }

        uint exclusive = (uint)max + 1;
        ulong m = (ulong)NextUInt32() * exclusive;
        if ((uint)m < exclusive)
        {
            uint threshold = (uint.MaxValue - (uint)max) % exclusive;
            while ((uint)m < threshold)
            {
                m = (ulong)NextUInt32() * exclusive;
            }
        }

        return (int)(m >> 32);
    }

    /// <summary>
    /// <paramref name="size"/> distinct indexes of 0..<paramref name="population"/>-1 in random order:
    /// <c>Generator.choice(population, size, replace=False)</c>.
    /// </summary>
    /// <param name="population">How many to choose from.</param>
    /// <param name="size">How many to choose; at most <paramref name="population"/>.</param>
    public int[] Choice(int population, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, population);
        if (population > 10000 && size > population / 50)
        {
            // A tail shuffle: the last `size` places of a partly shuffled 0..population-1.
            int[] all = [.. Enumerable.Range(0, population)];
            Shuffle(all, Math.Max(population - size, 1));
            return all[(population - size)..];
        }

        var picked = new int[size];
        Floyd(population, picked);
        Shuffle(picked, 1);
        return picked;
    }

    // Floyd's algorithm: for j from population - size up, take a uniform value of 0..j, or j itself
    // when that value was taken; a linear-probing hash set of at least 1.2 x size slots remembers them.
    private void Floyd(int population, int[] picked)
    {
        const int Empty = -1;
        int size = picked.Length;
        int mask = Mask((int)(1.2 * size));
        var taken = new int[mask + 1];
        Array.Fill(taken, Empty);
        for (int j = population - size; j < population; j++)
        {
            int value = Bounded(j);
            int slot = value & mask;
            while (taken[slot] != Empty && taken[slot] != value)
            {
                slot = (slot + 1) & mask;
            }

            if (taken[slot] != Empty)
            {
                value = j;
                slot = value & mask;
                while (taken[slot] != Empty)
                {
                    slot = (slot + 1) & mask;
                }
            }

            taken[slot] = value;
            picked[j - population + size] = value;
        }
    }

    // _shuffle_int: swaps place i (from the last down to `first`) with a uniform place of 0..i.
    private void Shuffle(int[] data, int first)
    {
        for (int i = data.Length - 1; i >= first; i--)
        {
            int j = Bounded(i);
            (data[i], data[j]) = (data[j], data[i]);
        }
    }

    private void Step() => _state = (_state * Multiplier) + _increment;

    // The smallest all-ones bit mask >= value (_gen_mask).
    private static int Mask(int value)
    {
        for (int shift = 1; shift <= 16; shift <<= 1)
        {
            value |= value >> shift;
        }

        return value;
    }

    // SeedSequence(seed).generate_state(4, uint64) as its eight 32-bit words: the seed's 32-bit words
    // (lowest first; zero is one word) hashed into a pool of four, mixed, then hashed out.
    private static uint[] SeedSequenceState(ulong seed)
    {
        const uint InitA = 0x43b0d7e5, MultA = 0x931e8875, InitB = 0x8b51f9dd, MultB = 0x58f38ded;
        const uint MixMultL = 0xca01f9dd, MixMultR = 0x4973f715;
        uint[] entropy = seed > uint.MaxValue ? [(uint)seed, (uint)(seed >> 32)] : [(uint)seed];
        uint hashConst = InitA;
        uint HashMix(uint value)
        {
            value ^= hashConst;
            hashConst *= MultA;
            value *= hashConst;
            return value ^ (value >> 16);
        }

        static uint Mix(uint x, uint y)
        {
            uint result = (MixMultL * x) - (MixMultR * y);
            return result ^ (result >> 16);
        }

        var pool = new uint[4];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = HashMix(i < entropy.Length ? entropy[i] : 0);
        }

        for (int source = 0; source < pool.Length; source++)
        {
            for (int target = 0; target < pool.Length; target++)
            {
                if (source != target)
                {
                    pool[target] = Mix(pool[target], HashMix(pool[source]));
                }
            }
        }

        var state = new uint[8];
        uint outConst = InitB;
        for (int i = 0; i < state.Length; i++)
        {
            uint value = pool[i % pool.Length] ^ outConst;
            outConst *= MultB;
            value *= outConst;
            state[i] = value ^ (value >> 16);
        }

        return state;
    }
}
