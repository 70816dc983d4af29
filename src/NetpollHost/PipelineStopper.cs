using System.Management.Automation;

namespace Netpoll.Host;

/// <summary>
/// Connects stop requests (from signal handlers, on their own threads) with whichever pipeline the host is
/// running. Stopping goes through <see cref="PowerShell.BeginStop"/>, so the engine unwinds the pipeline and
/// runs the script's <c>finally</c> blocks; the process is never killed from here.
/// </summary>
internal sealed class PipelineStopper
{
    private readonly Lock _sync = new();
    private PowerShell? _current;
    private StopReason _reason;

    /// <summary>The first stop request's reason, or <see cref="StopReason.None"/>.</summary>
    public StopReason Reason
    {
        get
        {
            lock (_sync)
            {
                return _reason;
            }
        }
    }

    /// <summary>
    /// Records the first stop request and stops the current pipeline. Returns false if a stop had already
    /// been requested: the caller should then let the signal end the process.
    /// </summary>
    public bool RequestStop(StopReason reason)
    {
        PowerShell? toStop;
        lock (_sync)
        {
            if (_reason != StopReason.None)
            {
                return false;
            }

            _reason = reason;
            toStop = _current;
        }

        toStop?.BeginStop(callback: null, state: null);
        return true;
    }

    /// <summary>
    /// Makes <paramref name="powerShell"/> the pipeline a stop request stops, until the returned handle is
    /// disposed. A request that came before the pipeline started running stops it as soon as it runs.
    /// </summary>
    public IDisposable Track(PowerShell powerShell)
    {
        ArgumentNullException.ThrowIfNull(powerShell);
        powerShell.InvocationStateChanged += StopIfAlreadyRequested;
        lock (_sync)
        {
            _current = powerShell;
        }

        return new Tracking(this, powerShell);
    }

    // Closes the gap between Track and the pipeline reaching Running, where BeginStop would do nothing.
    private void StopIfAlreadyRequested(object? sender, PSInvocationStateChangedEventArgs e)
    {
        if (e.InvocationStateInfo.State == PSInvocationState.Running && Reason != StopReason.None && sender is PowerShell powerShell)
        {
            powerShell.BeginStop(callback: null, state: null);
        }
    }

    private void Untrack(PowerShell powerShell)
    {
        powerShell.InvocationStateChanged -= StopIfAlreadyRequested;
        lock (_sync)
        {
            if (ReferenceEquals(_current, powerShell))
            {
                _current = null;
            }
        }
    }

    private sealed class Tracking(PipelineStopper owner, PowerShell powerShell) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Untrack(powerShell);
            }
        }
    }
}
