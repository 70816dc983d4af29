namespace Netpoll.PowerShell;

/// <summary>
/// Where engine-event logging writes. Null (the default) is the process console, which is the
/// terminal in pwsh; a host whose console is elsewhere, or a test, sets a writer before enabling
/// logging. It is read when logging starts.
/// </summary>
internal static class TelemetryOutput
{
    public static TextWriter? LogWriter { get; set; }
}
