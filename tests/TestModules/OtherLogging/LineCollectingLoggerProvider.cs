using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Netpoll.TestModules.OtherLogging;

/// <summary>Keeps every formatted message, so the cmdlet can show that logging really ran.</summary>
internal sealed class LineCollectingLoggerProvider : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

    public void Dispose()
    {
    }
}
