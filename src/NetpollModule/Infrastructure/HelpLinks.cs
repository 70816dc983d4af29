namespace Netpoll.PowerShell;

/// <summary>Where Get-Help -Online goes for each group of cmdlets (the MAML help names the same pages).</summary>
internal static class HelpLinks
{
    private const string Readme = "https://github.com/netpoll-dotnet/netpoll/blob/main/README.md";

    public const string Module = Readme + "#using-the-module";
    public const string Tuning = Readme + "#os-tuning-and-large-connection-tests";
    public const string Telemetry = Readme + "#telemetry";
    public const string Proxy = Readme + "#a-fault-injecting-proxy";
}
