using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Finds running servers or proxies for the cmdlets that take them: by name (wildcards), by id, or by an
/// object; what is not found is a non-terminating error of its own (NetpollServerNotFound, NetpollProxyNotFound).
/// </summary>
internal sealed class RegistryLookup<T>(string kind, string errorId, Func<string, IEnumerable<T>> byName, Func<int, T?> byId, Func<T, int> idOf, Func<T, string> nameOf)
    where T : class
{
    private readonly string _list = $"Get-Netpoll{char.ToUpperInvariant(kind[0])}{kind[1..]} lists the running ones.";

    public IEnumerable<T> ByName(Cmdlet cmdlet, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            T[] matches = [.. byName(name)];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                cmdlet.WriteError(NotFound($"No Netpoll {kind} is named '{name}'. {_list}", name));
            }

            foreach (T match in matches)
            {
                yield return match;
            }
        }
    }

    public IEnumerable<T> ById(Cmdlet cmdlet, IEnumerable<int> ids)
    {
        foreach (int id in ids)
        {
            if (byId(id) is { } found)
            {
                yield return found;
            }
            else
            {
                cmdlet.WriteError(NotFound($"No Netpoll {kind} has Id {id}. {_list}", id));
            }
        }
    }

    /// <summary>The live object behind each one given (it may have been stopped since it was written to the pipeline).</summary>
    public IEnumerable<T> Running(Cmdlet cmdlet, IEnumerable<T> items)
    {
        foreach (T item in items)
        {
            if (byId(idOf(item)) is { } live)
            {
                yield return live;
            }
            else
            {
                cmdlet.WriteError(NotFound($"{char.ToUpperInvariant(kind[0])}{kind[1..]} '{nameOf(item)}' (Id {idOf(item)}) is not running; it was already stopped.", nameOf(item)));
            }
        }
    }

    public ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), errorId, ErrorCategory.ObjectNotFound, target);
}
