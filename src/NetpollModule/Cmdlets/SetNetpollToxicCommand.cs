using System.Management.Automation;
using Netpoll.Proxy;

namespace Netpoll.PowerShell;

/// <summary>
/// Set-NetpollToxic: changes a toxic of a running proxy (attributes, stream, toxicity); open connections
/// roll its toxicity again, as toxiproxy does. Attributes not given keep their values.
/// </summary>
[Cmdlet(VerbsCommon.Set, "NetpollToxic", SupportsShouldProcess = true, HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollToxic))]
public sealed class SetNetpollToxicCommand : PSCmdlet, IDynamicParameters
{
    private RuntimeDefinedParameterDictionary? _attributes;
    private ToxicType _type;
    private bool _typeGiven;

    /// <summary>The proxy, or its name (a toxic from Get-NetpollToxic brings its ProxyName).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ProxyName")]
    [ProxyArgument]
    [ArgumentCompleter(typeof(ProxyNameCompleter))]
    public NetpollProxy? Proxy { get; set; }

    /// <summary>The toxic's name.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ToxicNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>The toxic's type, to name its attributes when the toxic comes from the pipeline; it must match.</summary>
    [Parameter]
    public ToxicType Type
    {
        get => _type;
        set
        {
            _type = value;
            _typeGiven = true; // set by binding: the attributes of this type become parameters
        }
    }

    [Parameter]
    public ToxicStream Stream { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Toxicity { get; set; }

    /// <summary>Write the changed toxic.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    public object? GetDynamicParameters()
    {
        ToxicType? type = _typeGiven ? Type
            : Proxy?.Proxy.Toxics.FirstOrDefault(t => string.Equals(t.Name, Name, StringComparison.Ordinal))?.Type;
        return type is { } known ? _attributes = ToxicAttributes.Parameters(known, adding: false) : null;
    }

    protected override void ProcessRecord()
    {
        if (ToxicChange.Live(this, Proxy!) is not { } proxy)
        {
            return;
        }

        if (proxy.Proxy.Toxics.FirstOrDefault(t => string.Equals(t.Name, Name, StringComparison.Ordinal)) is not { } current)
        {
            WriteError(ToxicChange.NotFound(proxy, Name));
            return;
        }

        if (_typeGiven && Type != current.Type)
        {
            WriteError(new ErrorRecord(new ArgumentException($"Toxic '{Name}' is {current.Type}, not {Type}: its attributes are {ToxicAttributes.Describe(current.Type)}. Remove it and add a new one to change the type."), ErrorIds.ToxicRejected, ErrorCategory.InvalidArgument, Name));
            return;
        }

        Toxic changed = ToxicAttributes.Apply(current with { Name = current.Name }, _attributes);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Stream)))
        {
            changed = changed with { Stream = Stream };
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Toxicity)))
        {
            changed = changed with { Toxicity = Toxicity };
        }

        if (!ShouldProcess($"{proxy.Name}", $"Set toxic {changed}"))
        {
            return;
        }

        if (ToxicChange.TryRun(this, proxy, () => proxy.Proxy.UpdateToxicAsync(changed), Name) && PassThru)
        {
            WriteObject(proxy.Toxics.FirstOrDefault(t => t.Name == Name));
        }
    }
}
