using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Finds running servers or proxies for the cmdlets that take them: by name (wildcards), by id, or by an
/// object; what is not found is a non-terminating error of its own (NetpollServerNotFound, NetpollProxyNotFound).
/// </summary>
internal sealed class RegistryLookup<T>(string kind, string errorId, Registry<T> registry)
    where T : class
{
    private readonly string _list = $"Get-Netpoll{char.ToUpperInvariant(kind[0])}{kind[1..]} lists the running ones.";

    public IEnumerable<T> ByName(Cmdlet cmdlet, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            T[] matches = [.. registry.ByName(name)];
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
            if (registry.ById(id) is { } found)
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
            if (registry.ById(registry.IdOf(item)) is { } live)
            {
                yield return live;
            }
            else
            {
                cmdlet.WriteError(NotFound($"{char.ToUpperInvariant(kind[0])}{kind[1..]} '{registry.NameOf(item)}' (Id {registry.IdOf(item)}) is not running; it was already stopped.", registry.NameOf(item)));
            }
        }
    }

    public ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), errorId, ErrorCategory.ObjectNotFound, target);
}
