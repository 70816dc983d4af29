using System.Diagnostics.Tracing;
using Microsoft.Extensions.Logging;

namespace Netpoll.Telemetry;

/// <summary>Maps between the module's -LogLevel, Microsoft.Extensions.Logging levels and EventSource levels.</summary>
internal static class LogLevels
{
    public static LogLevel ToLogLevel(NetpollLogLevel level) => level switch
    {
        NetpollLogLevel.Trace => LogLevel.Trace,
        NetpollLogLevel.Debug => LogLevel.Debug,
        NetpollLogLevel.Information => LogLevel.Information,
        NetpollLogLevel.Warning => LogLevel.Warning,
        NetpollLogLevel.Error => LogLevel.Error,
        _ => LogLevel.None,
    };

    /// <summary>The EventSource level to enable so that every event at or above <paramref name="level"/> is raised.</summary>
    public static EventLevel ToEventLevel(NetpollLogLevel level) => level switch
    {
        NetpollLogLevel.Trace or NetpollLogLevel.Debug => EventLevel.Verbose,
        NetpollLogLevel.Information => EventLevel.Informational,
        NetpollLogLevel.Warning => EventLevel.Warning,
        _ => EventLevel.Error,
    };

    /// <summary>Engine events at Verbose are per-connection details: Debug.</summary>
    public static LogLevel FromEventLevel(EventLevel level) => level switch
    {
        EventLevel.Critical => LogLevel.Critical,
        EventLevel.Error => LogLevel.Error,
        EventLevel.Warning => LogLevel.Warning,
        EventLevel.Verbose => LogLevel.Debug,
        _ => LogLevel.Information,
    };
}
