using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Stop-NetpollServer: graceful drain for -Timeout, then reset; -Force resets at once.</summary>
[Cmdlet(VerbsLifecycle.Stop, "NetpollServer", SupportsShouldProcess = true, DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
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
    [ArgumentCompleter(typeof(ServerIdCompleter))]
    public int[]? Id { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    /// <summary>How long in-flight requests may finish before connections are reset.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(Timeout))]
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

            Registries.Servers.Remove(server);
            WriteVerbose($"Stopped {server}.");
            if (PassThru)
            {
                WriteObject(server);
            }
        }
    }

    private IEnumerable<NetpollServer> Resolve() => ParameterSetName switch
    {
        ObjectSet => ServerLookup.Running(this, InputObject!),
        IdSet => ServerLookup.ById(this, Id!),
        _ => ServerLookup.ByName(this, Name!),
    };
}
