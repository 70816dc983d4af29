using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Stable ErrorRecord ids of the telemetry cmdlets (scripts match on these).</summary>
internal static class TelemetryErrors
{
    public const string UnavailableId = "NetpollTelemetryUnavailable";
    public const string IntervalTooShortId = "NetpollTelemetryIntervalTooShort";

    public static ErrorRecord Unavailable(TelemetryUnavailableException ex) =>
        new(ex, UnavailableId, ErrorCategory.ResourceUnavailable, TelemetrySinksLoader.FolderName);

    public static ErrorRecord IntervalTooShort(TimeSpan interval) =>
        new(new ArgumentOutOfRangeException(nameof(interval), interval, $"-Interval {interval.TotalSeconds} s is too short: give at least {ProcessTelemetry.MinimumInterval.TotalSeconds} s."),
            IntervalTooShortId, ErrorCategory.InvalidArgument, interval);
}
