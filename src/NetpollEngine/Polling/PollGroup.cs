using Netpoll.Diagnostics;

namespace Netpoll.Polling;

/// <summary>
/// N pollers and a load-balance policy, owned by one server or dialer (never process-global).
/// </summary>
internal sealed class PollGroup : IDisposable
{
    private readonly Poller[] _pollers;
    private readonly LoadBalance _policy;
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(10);

    private readonly OwnerMeter? _meter; // null: the owner publishes nothing on the meter (see ConnectionHost)
    private readonly string _owner;
    private int _next = -1;

    public PollGroup(int count, LoadBalance policy, BackendChoice backend, string owner = "netpoll", bool metered = true)
    {
        if (count < 1 || count > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A poll group needs between 1 and 1024 pollers.");
        }

        _policy = policy;
        _owner = owner;
        try
        {
            _pollers = StartPollers(count, backend);
            Backend = backend;
        }
        catch (IoUringUnavailableException ex)
        {
            // The probe passed but a poller's own ring was refused (fds, locked memory): all run on epoll.
            Backend = backend.FallBack(PollerBackendKind.Epoll, $"epoll: a poller could not start io_uring ({ex.Support}).");
            _pollers = StartPollers(count, Backend);
        }

        _meter = metered ? new OwnerMeter(owner, _pollers) : null;
    }

    /// <summary>The backend every poller of the group runs on, and why.</summary>
    public BackendChoice Backend { get; }

    /// <summary>
    /// The default poller count: one poller per two cores, at least one. Measured on the 2-core
    /// machine in docs/benchmarks.md: with dispatch on the ThreadPool a second poller only
    /// competes with handler threads for the same cores.
    /// </summary>
    public static int DefaultCount => Math.Max(1, Environment.ProcessorCount / 2);

    public IReadOnlyList<Poller> Pollers => _pollers;

    public LoadBalance Policy => _policy;

    public Poller Pick()
    {
        if (_pollers.Length == 1)
        {
            return _pollers[0];
        }

        switch (_policy)
        {
            case LoadBalance.Random:
                return _pollers[System.Random.Shared.Next(_pollers.Length)];
            case LoadBalance.LeastConnections:
                Poller best = _pollers[0];
                long fewest = Volatile.Read(ref best.Counters[PollerCounter.Connections]);
                for (int i = 1; i < _pollers.Length; i++)
                {
                    long n = Volatile.Read(ref _pollers[i].Counters[PollerCounter.Connections]);
                    if (n < fewest)
                    {
                        best = _pollers[i];
                        fewest = n;
                    }
                }

                return best;
            default:
                int index = (int)((uint)Interlocked.Increment(ref _next) % (uint)_pollers.Length);
                return _pollers[index];
        }
    }

    /// <summary>Stops every poller without blocking a thread, then frees their backends.</summary>
    /// <exception cref="TimeoutException">A poller did not stop within 10 s; its backend is left alone (the kernel may still use it).</exception>
    public async Task StopAsync()
    {
        _meter?.Dispose();
        foreach (Poller p in _pollers)
        {
            p.RequestStop();
        }

        try
        {
            await Task.WhenAll(_pollers.Select(p => p.Exited)).WaitAsync(StopLimit).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            int running = _pollers.Count(p => !p.Exited.IsCompleted);
            throw new TimeoutException($"{running} of {_pollers.Length} pollers of '{_owner}' did not stop within {StopLimit.TotalSeconds:0} s of being asked; their sockets stay open until they do.", ex);
        }

        foreach (Poller p in _pollers)
        {
            p.Dispose();
        }
    }

    /// <summary>Creates and starts <paramref name="count"/> pollers; if one cannot start, stops those that did and throws.</summary>
    private static Poller[] StartPollers(int count, BackendChoice backend)
    {
        var pollers = new Poller[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                pollers[i] = new Poller(i, backend);
                pollers[i].Start();
            }
        }
        catch
        {
            foreach (Poller? p in pollers)
            {
                p?.Dispose();
            }

            throw;
        }

        return pollers;
    }

    public void Dispose()
    {
        _meter?.Dispose();
        foreach (Poller p in _pollers)
        {
            p.RequestStop();
        }

        foreach (Poller p in _pollers)
        {
            p.Dispose();
        }
    }
}
