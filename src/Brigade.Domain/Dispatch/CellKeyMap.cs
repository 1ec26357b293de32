using System.Runtime.CompilerServices;

namespace Brigade.Dispatch;

/// <summary>
/// Open-addressing hash map from a non-negative cell key to a cell id, linear probing,
/// Fibonacci hashing, backward-shift deletion (no tombstones, so probe chains never rot).
/// A mutable struct held in a field of <see cref="GeoIndex"/> to save one indirection.
/// </summary>
internal struct CellKeyMap
{
    private const long Empty = -1;

    // 2^64 / golden ratio: multiplying scatters consecutive keys (neighbouring cells) across the table.
    private const ulong Fibonacci = 0x9E3779B97F4A7C15UL;

    private long[] _keys;
    private int[] _values;
    private int _mask;
    private int _shift;
    private int _count;

    public CellKeyMap(int expectedCount)
    {
        // Load factor <= 1/2 keeps linear-probing chains short (expected ~1.5 probes on a hit).
        var size = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expectedCount) * 2));
        _keys = new long[size];
        _values = new int[size];
        Array.Fill(_keys, Empty);
        _mask = size - 1;
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        _count = 0;
    }

    public readonly int Count => _count;

    public readonly long BytesAllocated => (_keys.Length * (long)sizeof(long)) + (_values.Length * (long)sizeof(int));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int Home(long key) => (int)(((ulong)key * Fibonacci) >> _shift);

    /// <summary>The cell id for <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Find(long key)
    {
        var keys = _keys;
        var i = Home(key);
        while (true)
        {
            var k = keys[i];
            if (k == key)
                return _values[i];
            if (k == Empty)
                return -1;
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Adds a key known to be absent.</summary>
    public void Add(long key, int value)
    {
        if ((_count + 1) * 2 > _keys.Length)
            Grow();
        var i = Home(key);
        while (_keys[i] != Empty)
            i = (i + 1) & _mask;
        _keys[i] = key;
        _values[i] = value;
        _count++;
    }

    /// <summary>Removes a key known to be present.</summary>
    public void Remove(long key)
    {
        var i = Home(key);
        while (_keys[i] != key)
            i = (i + 1) & _mask;
        // Backward shift: walk the rest of the probe run and pull back every entry whose home
        // is not cyclically inside (hole, position]; such an entry would become unreachable.
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            var k = _keys[j];
            if (k == Empty)
                break;
            var home = Home(k);
            var stays = i <= j ? home > i && home <= j : home > i || home <= j;
            if (stays)
                continue;
            _keys[i] = k;
            _values[i] = _values[j];
            i = j;
        }
        _keys[i] = Empty;
        _count--;
    }

    private void Grow()
    {
        var oldKeys = _keys;
        var oldValues = _values;
        var size = oldKeys.Length * 2;
        _keys = new long[size];
        _values = new int[size];
        Array.Fill(_keys, Empty);
        _mask = size - 1;
        _shift--;
        _count = 0;
        for (var i = 0; i < oldKeys.Length; i++)
        {
            if (oldKeys[i] != Empty)
                Add(oldKeys[i], oldValues[i]);
        }
    }
}
