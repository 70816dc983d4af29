using System.Management.Automation;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>
/// Add-NetpollToxic: adds a toxic to a running proxy; it reaches the open connections at once. The
/// type's attributes (-Latency, -Rate, ...) appear as parameters once -Type is given.
/// </summary>
[Cmdlet(VerbsCommon.Add, "NetpollToxic", SupportsShouldProcess = true, HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollToxic))]
public sealed class AddNetpollToxicCommand : PSCmdlet, IDynamicParameters
{
    private RuntimeDefinedParameterDictionary? _attributes;
    private ToxicType _type;
    private bool _typeGiven;

    /// <summary>The proxy, or its name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ProxyArgument]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public NetpollProxy? Proxy { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    public ToxicType Type
    {
        get => _type;
        set
        {
            _type = value;
            _typeGiven = true; // set by binding: the attributes of this type become parameters
        }
    }

    /// <summary>Unique within the proxy; default toxiproxy's type_stream (latency_downstream), or down.</summary>
    [Parameter]
    [ValidatePattern(@"^[A-Za-z0-9_.\-]{1,128}$")]
    public string? Name { get; set; }

    /// <summary>Upstream: what clients send; Downstream (the default): what the upstream sends back.</summary>
    [Parameter]
    public ToxicStream Stream { get; set; } = ToxicStream.Downstream;

    /// <summary>The share of connections it applies to, from 0 to 1, rolled per connection.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Toxicity { get; set; } = 1.0;

    public object? GetDynamicParameters() => _typeGiven ? _attributes = ToxicAttributes.Parameters(Type, adding: true) : null;

    protected override void ProcessRecord()
    {
        if (ToxicChange.Live(this, Proxy!) is not { } proxy)
        {
            return;
        }

        Toxic toxic = ToxicAttributes.Create(Type, Name, Stream, Toxicity, _attributes);
        if (!ShouldProcess($"{proxy.Name}", $"Add toxic {toxic.Name} ({toxic.TypeName} {toxic.Stream}, toxicity {Toxicity})"))
        {
            return;
        }

        if (ToxicChange.TryRun(this, proxy, () => proxy.Proxy.AddToxicAsync(toxic), toxic.Name))
        {
            WriteVerbose($"Added {toxic.Name} to {proxy.Name}.");
            WriteObject(proxy.Toxics.FirstOrDefault(t => t.Name == toxic.Name));
        }
    }
}
