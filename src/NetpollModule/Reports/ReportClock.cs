using System.Globalization;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell.Reports;

/// <summary>
/// One clock for a whole report: every point, server or client, is placed at its wall-clock time in
/// seconds since <see cref="Origin"/>, the earliest moment any input carries. A sample is placed by
/// its Timestamp property, or else by ElapsedSeconds counted from the load's start (from zero without
/// a load result).
/// </summary>
internal sealed class ReportClock
{
    private readonly DateTimeOffset? _loadStart;

    public ReportClock(ReportData data)
    {
        _loadStart = data.Load?.StartTime;
        IEnumerable<DateTimeOffset> moments = data.Samples.Select(TimestampOf).OfType<DateTimeOffset>()
            .Concat(data.PollerSamples.Select(p => p.Timestamp));
        if (_loadStart is { } start)
        {
            moments = moments.Append(start);
        }

        Origin = moments.DefaultIfEmpty(DateTimeOffset.MinValue).Min();
        HasWallClock = Origin != DateTimeOffset.MinValue;
    }

    /// <summary>Time zero of every chart.</summary>
    public DateTimeOffset Origin { get; }

    /// <summary>False when no input carries a wall-clock time (samples with ElapsedSeconds only).</summary>
    public bool HasWallClock { get; }

    public double At(DateTimeOffset moment) => (moment - Origin).TotalSeconds;

    /// <summary>Seconds since the origin of a sample, or NaN when it carries no time.</summary>
    public double At(PSObject sample)
    {
        if (TimestampOf(sample) is { } timestamp)
        {
            return At(timestamp);
        }

        double elapsed = ReportValues.Number(sample, "ElapsedSeconds");
        return _loadStart is { } start ? At(start) + elapsed : elapsed;
    }

    /// <summary>Seconds since the origin of one of the load's progress samples.</summary>
    public double At(LoadProgress progress) => _loadStart is { } start ? At(start + progress.Elapsed) : progress.Elapsed.TotalSeconds;

    private static DateTimeOffset? TimestampOf(PSObject sample) => ReportValues.Base(sample.Properties["Timestamp"]?.Value) switch
    {
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(d),
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out DateTimeOffset d) => d,
        _ => null,
    };
}
