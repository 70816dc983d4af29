using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Stop-NetpollProxy: closes a proxy's connections (reset after -Timeout) and frees its port.</summary>
[Cmdlet(VerbsLifecycle.Stop, "NetpollProxy", SupportsShouldProcess = true, DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollProxy))]
public sealed class StopNetpollProxyCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string IdSet = "Id";
    private const string ObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)]
    public int[]? Id { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollProxy[]? InputObject { get; set; }

    /// <summary>How long connections may take to close before they are reset.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(Timeout))]
    [ValidateTimeSpanRange(MaxSeconds = 3600)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<NetpollProxy> proxies = ParameterSetName switch
        {
            ObjectSet => ProxyLookup.Running(this, InputObject!),
            IdSet => ProxyLookup.ById(this, Id!),
            _ => ProxyLookup.ByName(this, Name!),
        };
        foreach (NetpollProxy proxy in proxies)
        {
            if (!ShouldProcess($"{proxy.Name} ({proxy.EndPoint} -> {proxy.Upstream}, {proxy.Connections} connections)", "Stop"))
            {
                continue;
            }

            if (!proxy.Proxy.StopAsync(Timeout).Wait(Timeout + TimeSpan.FromSeconds(10)))
            {
                WriteError(new ErrorRecord(new TimeoutException($"Proxy '{proxy.Name}' did not stop within {Timeout + TimeSpan.FromSeconds(10)}."), ErrorIds.StopTimedOut, ErrorCategory.OperationTimeout, proxy));
                continue;
            }

            Registries.Proxies.Remove(proxy);
            WriteVerbose($"Stopped {proxy}.");
            if (PassThru)
            {
                WriteObject(proxy);
            }
        }
    }
}
