using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Netpoll.Telemetry;

/// <summary>One category's logger for <see cref="TextWriterLoggerProvider"/>: formats, then writes a whole line under the provider's lock.</summary>
internal sealed class TextWriterLogger(string category, ConsoleFormatter consoleFormatter, TextWriter output, Lock outputGate) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    // The factory's filter (the minimum level) runs before this logger is asked.
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        using var line = new StringWriter();
        consoleFormatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), null, line);
        lock (outputGate)
        {
            output.Write(line.ToString());
            output.Flush();
        }
    }
}
