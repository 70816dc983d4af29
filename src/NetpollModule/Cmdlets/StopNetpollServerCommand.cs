using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Stop-NetpollServer: graceful drain for -Timeout, then reset; -Force resets at once.</summary>
[Cmdlet(VerbsLifecycle.Stop, "NetpollServer", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(NetpollServer))]
public sealed class StopNetpollServerCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string IdSet = "Id";
    private const string ObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)]
    public int[]? Id { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    /// <summary>How long in-flight requests may finish before connections are reset.</summary>
    [Parameter]
    [TimeSpanArgument]
    [ValidateTimeSpanRange(MaxSeconds = 3600)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Reset every connection at once instead of draining.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (NetpollServer server in Resolve())
        {
            if (!ShouldProcess($"{server.Name} ({server.Protocol} on {server.EndPoint}, {server.Connections} connections)", "Stop"))
            {
                continue;
            }

            TimeSpan drain = Force ? TimeSpan.Zero : Timeout;
            Task stopping = server.Loop.ShutdownAsync(drain);
            if (!stopping.Wait(drain + TimeSpan.FromSeconds(10)))
            {
                WriteError(new ErrorRecord(new TimeoutException($"Server '{server.Name}' did not stop within {drain + TimeSpan.FromSeconds(10)}."), ErrorIds.StopTimedOut, ErrorCategory.OperationTimeout, server));
                continue;
            }

            ServerRegistry.Remove(server);
            WriteVerbose($"Stopped {server}.");
            if (PassThru)
            {
                WriteObject(server);
            }
        }
    }

    private IEnumerable<NetpollServer> Resolve()
    {
        switch (ParameterSetName)
        {
            case ObjectSet:
                foreach (NetpollServer server in InputObject!)
                {
                    if (ServerRegistry.ById(server.Id) is { } live)
                    {
                        yield return live;
                    }
                    else
                    {
                        WriteError(NotFound($"Server '{server.Name}' (Id {server.Id}) is not running; it was already stopped.", server.Name));
                    }
                }

                break;
            case IdSet:
                foreach (int id in Id!)
                {
                    if (ServerRegistry.ById(id) is { } server)
                    {
                        yield return server;
                    }
                    else
                    {
                        WriteError(NotFound($"No Netpoll server has Id {id}. Get-NetpollServer lists the running ones.", id));
                    }
                }

                break;
            default:
                foreach (string name in Name!)
                {
                    NetpollServer[] matches = [.. ServerRegistry.ByName(name)];
                    if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    {
                        WriteError(NotFound($"No Netpoll server is named '{name}'. Get-NetpollServer lists the running ones.", name));
                    }

                    foreach (NetpollServer server in matches)
                    {
                        yield return server;
                    }
                }

                break;
        }
    }

    internal static ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), ErrorIds.ServerNotFound, ErrorCategory.ObjectNotFound, target);
}
