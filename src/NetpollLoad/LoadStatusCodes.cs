using System.Collections;
using System.Collections.Specialized;
using System.Globalization;

namespace Netpoll.Load;

/// <summary>
/// How many HTTP responses came back with each status code: <c>$result.StatusCodes[200]</c> (0 for a code
/// that never came). A dictionary to PowerShell too, keyed by the code's text, so CliXml and remoting carry it as a
/// hashtable (<c>$copy.StatusCodes['200']</c>) and ConvertTo-Json as an object (<c>{"200": 950}</c>); it prints as
/// "200=950, 503=50". Immutable.
/// </summary>
public sealed class LoadStatusCodes : IReadOnlyDictionary<int, long>, IDictionary
{
    public static readonly LoadStatusCodes Empty = new([]);

    private readonly SortedDictionary<int, long> _counts = [];

    // The same counts keyed by the code's text ("200"), in code order: the non-generic view below.
    private readonly OrderedDictionary _byText;

    /// <summary>Adds up the counts given (a code may repeat); zero counts are left out.</summary>
    public LoadStatusCodes(IEnumerable<KeyValuePair<int, long>> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        foreach ((int code, long count) in counts)
        {
            if (count < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counts), count, $"The count of status {code} is negative.");
            }

            if (count > 0)
            {
                _counts[code] = _counts.GetValueOrDefault(code) + count;
            }
        }

        var byText = new OrderedDictionary(_counts.Count);
        foreach ((int code, long count) in _counts)
        {
            byText.Add(code.ToString(CultureInfo.InvariantCulture), count);
        }

        _byText = byText.AsReadOnly();
    }

    public int Count => _counts.Count;

    public IEnumerable<int> Keys => _counts.Keys;

    public IEnumerable<long> Values => _counts.Values;

    /// <summary>Responses with this status code; 0 when none came.</summary>
    public long this[int code] => _counts.GetValueOrDefault(code);

    /// <summary>Responses in a class: <c>InClass(5)</c> counts 500–599.</summary>
    public long InClass(int hundreds) => _counts.Where(c => c.Key / 100 == hundreds).Sum(c => c.Value);

    public bool ContainsKey(int key) => _counts.ContainsKey(key);

    public bool TryGetValue(int key, out long value) => _counts.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<int, long>> GetEnumerator() => _counts.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _counts.GetEnumerator();

    /// <summary>"200=950, 503=50", or "none".</summary>
    public override string ToString() =>
        _counts.Count == 0 ? "none" : string.Join(", ", _counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}={c.Value}")));

    // The non-generic dictionary view PowerShell's serializer and ConvertTo-Json see; read-only. Its keys are the codes as
    // text ("200"): a JSON object's keys are strings, and ConvertTo-Json refuses a dictionary with others
    // (NonStringKeyInDictionary), so a result with status codes could not be saved as JSON. Its indexer takes 200 or "200".
    bool IDictionary.IsFixedSize => true;

    bool IDictionary.IsReadOnly => true;

    ICollection IDictionary.Keys => _byText.Keys;

    ICollection IDictionary.Values => _byText.Values;

    bool ICollection.IsSynchronized => false;

    object ICollection.SyncRoot => _byText;

    object? IDictionary.this[object key]
    {
        get => key is IConvertible convertible && TryCode(convertible, out int code) ? this[code] : null;
        set => throw ReadOnly();
    }

    bool IDictionary.Contains(object key) => key is IConvertible convertible && TryCode(convertible, out int code) && _counts.ContainsKey(code);

    IDictionaryEnumerator IDictionary.GetEnumerator() => _byText.GetEnumerator();

    void ICollection.CopyTo(Array array, int index) => _byText.CopyTo(array, index);

    void IDictionary.Add(object key, object? value) => throw ReadOnly();

    void IDictionary.Clear() => throw ReadOnly();

    void IDictionary.Remove(object key) => throw ReadOnly();

    private static bool TryCode(IConvertible key, out int code)
    {
        try
        {
            code = key.ToInt32(CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            code = 0;
            return false;
        }
    }

    private static NotSupportedException ReadOnly() => new("A load result's status codes are read-only.");
}
