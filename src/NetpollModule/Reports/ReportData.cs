using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Reports;

/// <summary>Everything one report shows, as the cmdlet collected it (from parameters and the pipeline).</summary>
internal sealed class ReportData
{
    public required string Title { get; init; }

    /// <summary>Server-side samples, one object per moment: any properties (they become CSV columns).</summary>
    public required IReadOnlyList<PSObject> Samples { get; init; }

    public required IReadOnlyList<NetpollPollerStats> PollerSamples { get; init; }

    public required LoadResult? Load { get; init; }

    /// <summary>Facts for summary.json and the page's table (a hashtable or an object), or null.</summary>
    public required PSObject? Summary { get; init; }
}
