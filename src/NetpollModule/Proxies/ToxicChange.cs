using System.Management.Automation;
using System.Net.Sockets;

namespace Netpoll.PowerShell;

/// <summary>Runs one toxic change on a live proxy for a cmdlet and turns a refusal into the right error record.</summary>
internal static class ToxicChange
{
    /// <summary>The running proxy behind <paramref name="proxy"/>, or null after writing NetpollProxyNotFound.</summary>
    public static NetpollProxy? Live(Cmdlet cmdlet, NetpollProxy proxy) => ProxyLookup.Running(cmdlet, [proxy]).FirstOrDefault();

    /// <summary>NetpollToxicNotFound: <paramref name="proxy"/> has no toxic named <paramref name="name"/>.</summary>
    public static ErrorRecord NotFound(NetpollProxy proxy, string name) => new(
        new ItemNotFoundException($"Proxy '{proxy.Name}' has no toxic named '{name}'. Its toxics: {string.Join(", ", proxy.Proxy.Toxics.Select(t => t.Name).DefaultIfEmpty("none"))}."),
        ErrorIds.ToxicNotFound, ErrorCategory.ObjectNotFound, name);

    /// <summary>Runs <paramref name="change"/>; false after writing why it was refused.</summary>
    public static bool TryRun(Cmdlet cmdlet, NetpollProxy proxy, Func<Task> change, object target)
    {
        try
        {
            change().GetAwaiter().GetResult();
            return true;
        }
        catch (ArgumentException ex)
        {
            cmdlet.WriteError(new ErrorRecord(ex, ErrorIds.ToxicRejected, ErrorCategory.InvalidArgument, target));
        }
        catch (InvalidOperationException ex)
        {
            cmdlet.WriteError(ProxyLookup.NotFound($"Proxy '{proxy.Name}' is stopping: {ex.Message}", proxy.Name));
        }
        catch (SocketException ex)
        {
            // Removing a down toxic listens again: another socket may have taken the port meanwhile.
            cmdlet.WriteError(new ErrorRecord(new IOException($"Proxy '{proxy.Name}' could not listen again on {proxy.EndPoint}: {ex.Message}", ex), ErrorIds.ListenFailed, ErrorCategory.ResourceBusy, target));
        }

        return false;
    }
}
