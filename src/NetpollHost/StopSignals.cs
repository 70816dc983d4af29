using System.Runtime.InteropServices;

namespace Netpoll.Host;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a graceful stop of the running pipeline. The first signal is
/// cancelled so the process lives on while the engine unwinds and <c>finally</c> blocks run; a second signal
/// is not cancelled, so it ends the process the usual way.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PipelineStopper _stopper;
    private readonly HostConsole _console;
    private readonly PosixSignalRegistration? _terminate;

    public StopSignals(PipelineStopper stopper, HostConsole console)
    {
        _stopper = stopper;
        _console = console;
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
        {
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
        }
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate?.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = _stopper.RequestStop(StopReason.Interrupted);
        if (e.Cancel)
        {
            _console.WriteLine(HostStream.Error, "Stopping... (press Ctrl+C again to exit at once)");
        }
    }

    private void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = _stopper.RequestStop(StopReason.Terminated);
    }
}
