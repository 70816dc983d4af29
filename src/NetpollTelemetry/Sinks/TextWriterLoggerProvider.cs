using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Netpoll.Telemetry;

/// <summary>
/// Writes log entries with Microsoft.Extensions.Logging.Console's own formatter to a given writer, for
/// hosts whose console is not the process's standard output (a hosted runspace, tests).
/// </summary>
internal sealed class TextWriterLoggerProvider : ILoggerProvider
{
    private readonly TextWriter _output;
    private readonly ConsoleFormatter _formatter;
    private readonly ConcurrentDictionary<string, TextWriterLogger> _loggers = new(StringComparer.Ordinal);
    private readonly Lock _outputGate = new();

    public TextWriterLoggerProvider(TextWriter output, IEnumerable<ConsoleFormatter> formatters, IOptionsMonitor<ConsoleLoggerOptions> options)
    {
        _output = output;
        string name = options.CurrentValue.FormatterName ?? ConsoleFormatterNames.Simple;
        _formatter = formatters.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"No console formatter named '{name}' is registered.");
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new TextWriterLogger(name, _formatter, _output, _outputGate));

    public void Dispose()
    {
        lock (_outputGate)
        {
            _output.Flush();
        }
    }
}
