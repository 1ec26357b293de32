namespace Brigade;

/// <summary>Order statistics without a full sort.</summary>
public static class Selection
{
    /// <summary>
    /// The value that would sit at index <paramref name="k"/> if <paramref name="values"/> were sorted
    /// ascending; the span is reordered. Quickselect (Hoare): each round partitions around the median
    /// of three and keeps only the side holding <paramref name="k"/>, so the expected work is
    /// n + n/2 + n/4 + … = O(n), where sorting would be O(n log n).
    /// </summary>
    public static long Nth(Span<long> values, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, values.Length);
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            // Median of three: sorted or reversed input then partitions evenly.
            if (values[mid] < values[lo]) (values[mid], values[lo]) = (values[lo], values[mid]);
            if (values[hi] < values[lo]) (values[hi], values[lo]) = (values[lo], values[hi]);
            if (values[hi] < values[mid]) (values[hi], values[mid]) = (values[mid], values[hi]);
            var pivot = values[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i > j) break;
                (values[i], values[j]) = (values[j], values[i]);
                i++;
                j--;
            }
            // Now values[lo..j] <= pivot <= values[i..hi], and anything strictly between j and i equals the pivot.
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }
}
