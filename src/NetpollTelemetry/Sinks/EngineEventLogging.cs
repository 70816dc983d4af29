using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Netpoll.Telemetry;

/// <summary>
/// Engine events logged through Microsoft.Extensions.Logging.Console: a logger factory with the simple
/// console formatter on one line, and a listener that forwards the engine's EventSource (<see cref="NetpollDiagnostics.EventSourceName"/>) to it.
/// </summary>
internal sealed class EngineEventLogging : IDisposable
{
    public const string Category = "Netpoll.Engine";

    private readonly ServiceProvider _services;
    private readonly EngineEventForwarder _forwarder;

    public EngineEventLogging(NetpollLogLevel minimumLevel, TextWriter? output)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevels.ToLogLevel(minimumLevel));
            logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.ColorBehavior = output is null ? LoggerColorBehavior.Default : LoggerColorBehavior.Disabled;
            });

            // Engine events may come from a poller thread: when the console falls behind, drop a line rather than block it.
            logging.Services.Configure<ConsoleLoggerOptions>(options => options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite);
            if (output is not null)
            {
                // Same formatter, other writer: the console provider can only write to Console.Out.
                logging.Services.RemoveAll<ILoggerProvider>();
                logging.Services.AddSingleton<ILoggerProvider>(sp => new TextWriterLoggerProvider(
                    output, sp.GetServices<ConsoleFormatter>(), sp.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>()));
            }
        });

        _services = services.BuildServiceProvider();
        ILogger logger = _services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        _forwarder = new EngineEventForwarder(logger, LogLevels.ToEventLevel(minimumLevel));
    }

    /// <summary>Stops forwarding first, then disposes the factory, which drains the console queue and ends its thread.</summary>
    public void Dispose()
    {
        _forwarder.Dispose();
        _services.Dispose();
    }
}
