using System.Collections;

namespace Netpoll.Load;

/// <summary>
/// A read-only list that prints what it holds: each item's text, joined by "; " (nothing when it is empty). Export-Csv
/// writes a property's ToString, and the lists a result carries (AddressFailures, Thresholds, error details, a proxy's
/// Toxics) came out as "&lt;&gt;z__ReadOnlyList`1[System.String]"; these show their items instead. To PowerShell, CliXml
/// and JSON it is a list like any other.
/// </summary>
/// <typeparam name="T">The items.</typeparam>
public sealed class ReadableList<T> : IReadOnlyList<T>
{
    public static readonly ReadableList<T> Empty = new([]);

    private readonly T[] _items;
    private readonly Func<T, string?>? _describe;

    /// <summary>A list of <paramref name="items"/> that prints each by its ToString.</summary>
    public ReadableList(IEnumerable<T> items)
        : this(items, describe: null)
    {
    }

    /// <summary>A list of <paramref name="items"/> that prints each as <paramref name="describe"/> says (by its ToString when null).</summary>
    public ReadableList(IEnumerable<T> items, Func<T, string?>? describe)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = [.. items];
        _describe = describe;
    }

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    /// <summary>"first; second", or "" for an empty list (an empty CSV cell).</summary>
    public override string ToString() => string.Join("; ", _items.Select(item => (_describe is null ? item?.ToString() : _describe(item)) ?? ""));

    /// <summary><paramref name="items"/> as a list that prints its items: itself when it already is one.</summary>
    internal static ReadableList<T> Of(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items as ReadableList<T> ?? new ReadableList<T>(items);
    }
}
