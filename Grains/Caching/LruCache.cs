namespace Orleans.Tts.Grains.Caching;

/// <summary>A thread-safe least-recently-used map bounded by the total size of its values in bytes.</summary>
public sealed class LruCache<TValue>(long capacityBytes, Func<TValue, long> sizeOf)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, TValue Value, long Size)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, TValue Value, long Size)> _order = new();
    private long _bytes;

    public long CapacityBytes => capacityBytes;
    public long Bytes { get { lock (_gate) return _bytes; } }
    public int Count { get { lock (_gate) return _map.Count; } }

    public bool TryGet(string key, out TValue value)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }
        value = default!;
        return false;
    }

    /// <summary>Adds or replaces; evicts the least recently used until it fits. Values larger than the capacity are not kept.</summary>
    public void Set(string key, TValue value)
    {
        var size = sizeOf(value) + key.Length * 2 + 64;
        lock (_gate)
        {
            RemoveLocked(key);
            if (size > capacityBytes) return;
            while (_bytes + size > capacityBytes && _order.Last is { } last) RemoveLocked(last.Value.Key);
            _map[key] = _order.AddFirst((key, value, size));
            _bytes += size;
        }
    }

    public bool Remove(string key) { lock (_gate) return RemoveLocked(key); }

    public void Clear()
    {
        lock (_gate)
        {
            _map.Clear();
            _order.Clear();
            _bytes = 0;
        }
    }

    private bool RemoveLocked(string key)
    {
        if (!_map.Remove(key, out var node)) return false;
        _order.Remove(node);
        _bytes -= node.Value.Size;
        return true;
    }
}
