namespace SimClrV2.Sophon.Embeddings;

/// <summary>The indexes of the largest values, largest first, by a bounded min-heap (n log k, no allocation).</summary>
internal static class TopK
{
    /// <summary>Fills <paramref name="top"/> (length k &lt;= values' length) with the indexes of the k largest values, largest first; ties keep the lower index first.</summary>
    public static void Select(ReadOnlySpan<float> values, Span<int> top)
    {
        int k = top.Length;
        if (k == 0)
        {
            return;
        }

        if (k > values.Length)
        {
            throw new ArgumentException($"{k} of {values.Length} values asked for.", nameof(top));
        }

        // top[0..k) is a min-heap by (value, then higher index = smaller) while scanning.
        for (int i = 0; i < k; i++)
        {
            top[i] = i;
            SiftUp(values, top, i);
        }

        for (int i = k; i < values.Length; i++)
        {
            if (Less(values, top[0], i))
            {
                top[0] = i;
                SiftDown(values, top, 0, k);
            }
        }

        // Heap sort in place: the smallest goes to the end each time, so the result is largest first.
        for (int end = k - 1; end > 0; end--)
        {
            (top[0], top[end]) = (top[end], top[0]);
            SiftDown(values, top, 0, end);
        }
    }

    /// <summary>True when a ranks below b: a smaller value, or the same value and a later index.</summary>
    private static bool Less(ReadOnlySpan<float> values, int a, int b) =>
        values[a] < values[b] || (values[a] == values[b] && a > b);

    private static void SiftUp(ReadOnlySpan<float> values, Span<int> heap, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(values, heap[i], heap[parent]))
            {
                return;
            }

            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private static void SiftDown(ReadOnlySpan<float> values, Span<int> heap, int i, int size)
    {
        while (true)
        {
            int left = (2 * i) + 1, smallest = i;
            if (left < size && Less(values, heap[left], heap[smallest]))
            {
                smallest = left;
            }

            if (left + 1 < size && Less(values, heap[left + 1], heap[smallest]))
            {
                smallest = left + 1;
            }

            if (smallest == i)
            {
                return;
            }

            (heap[i], heap[smallest]) = (heap[smallest], heap[i]);
            i = smallest;
        }
    }
}
