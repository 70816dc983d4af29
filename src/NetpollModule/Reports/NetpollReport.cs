namespace Netpoll.PowerShell.Reports;

/// <summary>The files Export-NetpollReport wrote.</summary>
public sealed class NetpollReport
{
    public required string Directory { get; init; }
    public required string SamplesCsv { get; init; }
    public required string PollersCsv { get; init; }
    public required string SummaryJson { get; init; }
    public required string Html { get; init; }
}
