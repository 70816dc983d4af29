using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// How a load result reaches the user besides the pipeline, and when it counts as a failure.
/// After Ctrl+C PowerShell refuses every write (WriteObject throws PipelineStoppedException once the
/// pipeline is stopping, and an assignment such as <c>$r = ... | Invoke-NetpollLoad</c> is abandoned),
/// so the measured result is added to the -OutVariable list the way WriteObject would have, kept in
/// <c>$global:NetpollLastLoadResult</c> (set after every run), and a warning on the host says where it is.
/// </summary>
internal static class LoadResultDelivery
{
    public const string LastResultVariable = "NetpollLastLoadResult";

    /// <summary>Keeps the result of the latest run in $global:NetpollLastLoadResult.</summary>
    public static void Remember(PSCmdlet cmdlet, LoadResult result) =>
        cmdlet.SessionState.PSVariable.Set("global:" + LastResultVariable, result);

    public static void AfterCtrlC(PSCmdlet cmdlet, LoadResult result)
    {
        Remember(cmdlet, result);
        string where = "$" + LastResultVariable;
        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("OutVariable", out object? bound) && bound is string name && name.Length > 0)
        {
            // PowerShell created this list when the command started and fills it from WriteObject.
            if (cmdlet.SessionState.PSVariable.GetValue(name.TrimStart('+')) is PSObject { BaseObject: IList wrapped })
            {
                wrapped.Add(result);
                where = $"${name.TrimStart('+')} and {where}";
            }
            else if (cmdlet.SessionState.PSVariable.GetValue(name.TrimStart('+')) is IList list)
            {
                list.Add(result);
                where = $"${name.TrimStart('+')} and {where}";
            }
        }

        // WriteWarning is refused too while stopping, so the note goes to the host's UI, as the console shows it.
        cmdlet.Host?.UI?.WriteWarningLine(StoppedNote(result, where));
    }

    /// <summary>What the Ctrl+C warning says: how far the run got, and where its result is.</summary>
    internal static string StoppedNote(LoadResult result, string where) =>
        result.Elapsed == TimeSpan.Zero && result.Requests == 0
            ? string.Create(CultureInfo.CurrentCulture, $"Stopped before requests began against {result.Target} (at {result.StartTime.ToLocalTime():HH:mm:ss}); nothing was sent. The result is in {where}.")
            : string.Create(CultureInfo.CurrentCulture, $"Stopped after {result.Elapsed.TotalSeconds:N1} s with {result.Requests:N0} {(result.Requests == 1 ? "request" : "requests")} measured against {result.Target}; the result is in {where}.");

    /// <summary>A NetpollLoadFailed error saying why nothing was measured, or null when the run measured what its pattern measures.</summary>
    public static ErrorRecord? FailureOf(LoadResult result, TimeSpan responseTimeout)
    {
        bool nothingOpened = result.ConnectionsOpened == 0;
        if (result.Pattern == LoadPattern.Idle ? !nothingOpened : result.Requests > 0)
        {
            return null;
        }

        LoadErrors errors = result.ErrorsByKind;
        string message = nothingOpened
            ? $"No connection to {result.Target} opened: {result.ConnectFailures} of {result.ConnectionsRequested} failed.{Tried(result)}"
            : errors.ResponseTimeout > 0
                ? string.Create(CultureInfo.InvariantCulture, $"No request to {result.Target} completed: {errors.ResponseTimeout} got no reply within {responseTimeout.TotalSeconds} s (-ResponseTimeout). Does the server speak {result.Pattern}?")
                : errors.BadResponse > 0
                    ? $"No request to {result.Target} completed: its replies were not {Expected(result.Pattern)} ({string.Join("; ", errors.BadResponseDetails)}). Does the server speak {result.Pattern}?"
                    : string.Create(CultureInfo.InvariantCulture, $"No request to {result.Target} completed in {result.Elapsed.TotalSeconds:0.##} s.");
        if (result.RequestsInFlightAtStop > 0)
        {
            // A server slower than the run: say so, or "none completed" reads as one that never answers.
            message += string.Create(CultureInfo.InvariantCulture, $" {result.RequestsInFlightAtStop} were still waiting for their reply when the run stopped (in flight at the stop, -ResponseTimeout {responseTimeout.TotalSeconds} s).");
        }

        if (result.Errors > 0)
        {
            message += $" Errors: {errors}.";
        }

        if (errors.TlsDetails.Count > 0 && !nothingOpened)
        {
            message += $" TLS: {string.Join("; ", errors.TlsDetails)}."; // a connect's own failure is named in Tried already
        }

        if (result.Pattern != LoadPattern.Idle)
        {
            message += " No latency was measured (the latency properties are null).";
        }

        ErrorCategory category = nothingOpened ? ErrorCategory.ConnectionError
            : result.ErrorsByKind.ResponseTimeout > 0 ? ErrorCategory.OperationTimeout
            : ErrorCategory.InvalidResult;
        return new ErrorRecord(new InvalidOperationException(message), ErrorIds.LoadFailed, category, result);
    }

    /// <summary>A NetpollLoadThresholdFailed error naming every threshold that failed, or null when all passed (or none were given).</summary>
    public static ErrorRecord? ThresholdFailure(LoadResult result)
    {
        LoadThresholdResult[] failed = [.. result.Thresholds.Where(t => !t.Passed)];
        if (failed.Length == 0)
        {
            return null;
        }

        string message = $"{failed.Length} of {result.Thresholds.Count} thresholds failed against {result.Target}: {string.Join("; ", failed.Select(t => t.ToString()))}. The result is in ${LastResultVariable}.";
        return new ErrorRecord(new InvalidOperationException(message), ErrorIds.LoadThresholdFailed, ErrorCategory.LimitsExceeded, result);
    }

    /// <summary>" Tried A: cause (message); B: ..." — every address a connect failed at, so a name whose addresses all failed shows each one's reason.</summary>
    private static string Tried(LoadResult result) =>
        result.AddressFailures.Count == 0 ? "" : $" Tried {string.Join("; ", result.AddressFailures)}."; // a failure before any address was tried has none

    private static string Expected(LoadPattern pattern) => pattern switch
    {
        LoadPattern.Http => "HTTP responses",
        LoadPattern.Payload => "replies framed as -ResponseSize or -ResponseDelimiter said",
        _ => "the echo of what was sent",
    };
}
