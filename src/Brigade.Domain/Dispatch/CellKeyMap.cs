using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    // Key and value side by side (12 bytes, Pack = 4): a hit reads one line, not two arrays.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Entry
    {
        public long Key;
        public int Value;
    }

    private Entry[] _entries;
    private int _mask;
    private int _shift;
    private int _count;

    public CellKeyMap(int expectedCount)
    {
        // Load factor <= 1/2 keeps linear-probing chains short (expected ~1.5 probes on a hit).
        var size = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expectedCount) * 2));
        _entries = NewTable(size);
        _mask = size - 1;
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
        _count = 0;
    }

    public readonly int Count => _count;

    public readonly long BytesAllocated => _entries.Length * (long)Unsafe.SizeOf<Entry>();

    private static Entry[] NewTable(int size)
    {
        var entries = new Entry[size];
        entries.AsSpan().Fill(new Entry { Key = Empty });
        return entries;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int Home(long key) => (int)(((ulong)key * Fibonacci) >> _shift);

    /// <summary>The cell id for <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Find(long key)
    {
        var entries = _entries;
        var i = Home(key);
        while (true)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Key == key)
                return entry.Value;
            if (entry.Key == Empty)
                return -1;
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Adds a key known to be absent.</summary>
    public void Add(long key, int value)
    {
        if ((_count + 1) * 2 > _entries.Length)
            Grow();
        var i = Home(key);
        while (_entries[i].Key != Empty)
            i = (i + 1) & _mask;
        _entries[i] = new Entry { Key = key, Value = value };
        _count++;
    }

    /// <summary>Removes a key known to be present.</summary>
    public void Remove(long key)
    {
        var i = Home(key);
        while (_entries[i].Key != key)
            i = (i + 1) & _mask;
        // Backward shift: walk the rest of the probe run and pull back every entry whose home
        // is not cyclically inside (hole, position]; such an entry would become unreachable.
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            var k = _entries[j].Key;
            if (k == Empty)
                break;
            var home = Home(k);
            var stays = i <= j ? home > i && home <= j : home > i || home <= j;
            if (stays)
                continue;
            _entries[i] = _entries[j];
            i = j;
        }
        _entries[i].Key = Empty;
        _count--;
    }

    private void Grow()
    {
        var old = _entries;
        var size = old.Length * 2;
        _entries = NewTable(size);
        _mask = size - 1;
        _shift--;
        _count = 0;
        foreach (var entry in old)
        {
            if (entry.Key != Empty)
                Add(entry.Key, entry.Value);
        }
    }
}
