using System.Collections.Concurrent;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// The running objects of one kind (servers or proxies) in this process, shared by every runspace. A name
/// is unique across kinds (Get-NetpollStats finds either by it), so adding checks every registry under
/// <see cref="Registries.NameGate"/>. Remove-Module, process exit and SIGTERM stop them all.
/// </summary>
internal sealed class Registry<T>(Func<T, int> idOf, Func<T, string> nameOf, Func<T, TimeSpan, Task> stopAsync, Action<T>? release = null)
    where T : class
{
    private readonly ConcurrentDictionary<int, T> _items = new();
    private int _nextId;

    public IReadOnlyList<T> All => [.. _items.Values.OrderBy(idOf)];

    public int NextId() => Interlocked.Increment(ref _nextId);

    public int IdOf(T item) => idOf(item);

    public string NameOf(T item) => nameOf(item);

    /// <summary>The one named exactly <paramref name="name"/> (case-insensitive), or null.</summary>
    public T? Find(string name) => _items.Values.FirstOrDefault(i => string.Equals(nameOf(i), name, StringComparison.OrdinalIgnoreCase));

    public T? ById(int id) => _items.GetValueOrDefault(id);

    public IEnumerable<T> ByName(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        return All.Where(i => wildcard.IsMatch(nameOf(i)));
    }

    /// <summary>Adds <paramref name="item"/>; false when a server or a proxy has its name.</summary>
    public bool TryAdd(T item)
    {
        lock (Registries.NameGate)
        {
            if (Registries.IsNameTaken(nameOf(item)))
            {
                return false;
            }

            _items[idOf(item)] = item;
            return true;
        }
    }

    /// <summary>Forgets a stopped one and frees what it held.</summary>
    public void Remove(T item)
    {
        _items.TryRemove(idOf(item), out _);
        release?.Invoke(item);
    }

    /// <summary>Stops every one (graceful for <paramref name="timeout"/>, then forced) and forgets them.</summary>
    public void StopAll(TimeSpan timeout)
    {
        T[] items = [.. _items.Values];
        Task.WaitAll([.. items.Select(i => stopAsync(i, timeout))], timeout + TimeSpan.FromSeconds(5));
        foreach (T item in items)
        {
            Remove(item);
        }
    }
}
