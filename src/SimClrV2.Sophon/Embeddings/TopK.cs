using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>The indexes of the largest values, largest first, by a bounded min-heap (n log k, no allocation).</summary>
internal static class TopK
{
    /// <summary>Fills <paramref name="top"/> (length k &lt;= values' length) with the indexes of the k largest values, largest first unless <paramref name="sorted"/> is false (then in no order); of equal values the lower index ranks higher.</summary>
    public static void Select(ReadOnlySpan<float> values, Span<int> top, bool sorted = true)
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

        // Past the first k, an index enters only with a value above the heap's smallest (a later
        // index loses a tie); whole vectors of values at or below it are skipped at once.
        int width = Vector256<float>.Count, next = k;
        ref float start = ref MemoryMarshal.GetReference(values);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; next + width <= values.Length; next += width)
            {
                if (Vector256.GreaterThanAny(Vector256.LoadUnsafe(ref start, (nuint)next), Vector256.Create(values[top[0]])))
                {
                    Offer(values, top, next, next + width);
                }
            }
        }

        Offer(values, top, next, values.Length);
        if (!sorted)
        {
            return;
        }

        // Heap sort in place: the smallest goes to the end each time, so the result is largest first.
        for (int end = k - 1; end > 0; end--)
        {
            (top[0], top[end]) = (top[end], top[0]);
            SiftDown(values, top, 0, end);
        }
    }

    /// <summary>Offers the indexes [from, to) to the full heap.</summary>
    private static void Offer(ReadOnlySpan<float> values, Span<int> heap, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            if (values[i] > values[heap[0]])
            {
                heap[0] = i;
                SiftDown(values, heap, 0, heap.Length);
            }
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
