namespace Netpoll.PowerShell;

/// <summary>The telemetry sinks are missing or could not be loaded; the message says where they were looked for.</summary>
public sealed class TelemetryUnavailableException : Exception
{
    public TelemetryUnavailableException()
    {
    }

    public TelemetryUnavailableException(string message)
        : base(message)
    {
    }

    public TelemetryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
