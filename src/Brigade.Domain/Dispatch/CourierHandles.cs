namespace Brigade.Dispatch;

/// <summary>
/// Maps external courier ids to the dense <c>int</c> handles <see cref="GeoIndex"/> works with.
/// Released handles are reused, so the handle space stays as dense as the live courier count.
/// Not thread-safe, like the index it feeds.
/// </summary>
public sealed class CourierHandles
{
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly List<string?> _ids = [];
    private readonly Stack<int> _free = new();

    public int Count => _byId.Count;

    /// <summary>One past the highest handle ever issued: the capacity the index needs.</summary>
    public int HandleSpan => _ids.Count;

    public int GetOrAdd(string courierId)
    {
        ArgumentException.ThrowIfNullOrEmpty(courierId);
        if (_byId.TryGetValue(courierId, out var handle))
            return handle;
        if (_free.TryPop(out handle))
            _ids[handle] = courierId;
        else
        {
            handle = _ids.Count;
            _ids.Add(courierId);
        }
        _byId.Add(courierId, handle);
        return handle;
    }

    public bool TryGet(string courierId, out int handle) => _byId.TryGetValue(courierId, out handle);

    public string? IdOf(int handle) => (uint)handle < (uint)_ids.Count ? _ids[handle] : null;

    /// <summary>Forgets the id; its handle may be issued again. Call <see cref="GeoIndex.Remove"/> first.</summary>
    public bool Release(string courierId, out int handle)
    {
        if (!_byId.Remove(courierId, out handle))
            return false;
        _ids[handle] = null;
        _free.Push(handle);
        return true;
    }
}
