using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Diagnostics;
using Netpoll.Tls;

namespace Netpoll.Bench;

/// <summary>
/// <c>https --target HOST:PORT [--mode handshake|resumed|keepalive] [--connections N] [--duration S] [--warmup S]</c>:
/// N workers on the engine's TLS dialer (certificate check off) against an HTTPS server answering <c>GET /</c>.
/// handshake: each worker connects, sends one request with <c>Connection: close</c>, reads the answer and closes,
/// over and over (a full handshake per request). resumed: the same, resuming the server's last session (a ticket).
/// keepalive: each worker connects once before the window, then sends requests one after another on it, so the
/// window holds requests and no handshakes (what a server allocates per request after the handshake).
/// Prints <c>MARK</c>, <c>END</c> and <c>RESULT {...}</c> as the load client does.
/// </summary>
internal static class HttpsClientCommand
{
    private static readonly byte[] CloseRequest = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    private static readonly byte[] KeepAliveRequest = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("Hello, World!");

    public static async Task<int> RunAsync(CommandLine options)
    {
        IPEndPoint target = IPEndPoint.Parse(options.Get("target") ?? throw new ArgumentException("https needs --target host:port."));
        if (!IPAddress.IsLoopback(target.Address))
        {
            throw new ArgumentException("the benchmark client only targets loopback addresses.");
        }

        string mode = options.Get("mode", "handshake");
        if (mode is not ("handshake" or "resumed" or "keepalive"))
        {
            throw new ArgumentException($"unknown mode '{mode}'; use handshake, resumed or keepalive.");
        }

        int workers = options.Int("connections", 16);
        double duration = options.Double("duration", 5);
        double warmup = options.Double("warmup", 1);
        await using var dialer = new Dialer(new DialerOptions
        {
            Name = "bench-https",
            Pollers = 1,
            Tls = new TlsClientOptions { TargetHost = "localhost", SkipCertificateValidation = true, SessionResumption = mode == "resumed", ApplicationProtocols = ["http/1.1"] },
        });

        Connection[]? kept = null;
        if (mode == "keepalive")
        {
            kept = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => dialer.ConnectAsync(target))).ConfigureAwait(false);
        }

        _ = await RunPhaseAsync(dialer, target, workers, TimeSpan.FromSeconds(warmup), kept).ConfigureAwait(false);
        long resumedBefore = Resumed(dialer);
        Emit("MARK", new { elapsed = 0 });
        Phase measured = await RunPhaseAsync(dialer, target, workers, TimeSpan.FromSeconds(duration), kept).ConfigureAwait(false);
        Emit("END", new { elapsed = measured.Seconds, requests = measured.Completed });
        foreach (Connection c in kept ?? [])
        {
            c.Close();
        }

        long[] latencies = [.. measured.LatencyTicks.Order()];
        Emit("RESULT", new
        {
            pattern = mode,
            connectionsRequested = workers,
            connectionsOpened = workers,
            windowSeconds = measured.Seconds,
            windowRequests = measured.Completed,
            rps = measured.Completed / Math.Max(measured.Seconds, 1e-9),
            resumed = Resumed(dialer) - resumedBefore,
            p50Us = Percentile(latencies, 0.50),
            p90Us = Percentile(latencies, 0.90),
            p99Us = Percentile(latencies, 0.99),
            p999Us = Percentile(latencies, 0.999),
            maxUs = Percentile(latencies, 1.0),
            errors = measured.Errors,
            firstError = measured.FirstError,
        });
        return 0;
    }

    private sealed class Phase
    {
        public long Completed;
        public long Errors;
        public string? FirstError;
        public double Seconds;

        public List<long> LatencyTicks { get; } = [];
    }

    private static async Task<Phase> RunPhaseAsync(Dialer dialer, IPEndPoint target, int workers, TimeSpan length, Connection[]? kept)
    {
        var phase = new Phase();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (clock.Elapsed < length)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    if (kept is null)
                    {
                        await HandshakeAndRequestAsync(dialer, target).ConfigureAwait(false);
                    }
                    else
                    {
                        await RequestAsync(kept[worker], KeepAliveRequest).ConfigureAwait(false);
                    }

                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (Exception ex) when (ex is IOException or TimeoutException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
                {
                    if (Interlocked.Increment(ref phase.Errors) == 1)
                    {
                        phase.FirstError = $"{ex.GetType().Name}: {ex.Message}";
                    }

                    if (kept is not null)
                    {
                        break; // a kept connection that failed cannot go on
                    }
                }
            }

            lock (phase)
            {
                phase.Completed += mine.Count;
                phase.LatencyTicks.AddRange(mine);
            }
        }))).ConfigureAwait(false);
        phase.Seconds = clock.Elapsed.TotalSeconds;
        return phase;
    }

    /// <summary>Connect (the handshake), one request, its whole answer, close.</summary>
    private static async Task HandshakeAndRequestAsync(Dialer dialer, IPEndPoint target)
    {
        Connection c = await dialer.ConnectAsync(target).ConfigureAwait(false);
        try
        {
            await RequestAsync(c, CloseRequest).ConfigureAwait(false);
        }
        finally
        {
            c.Close();
        }
    }

    /// <summary>One request and its whole answer (the hello body), which is then consumed.</summary>
    private static async Task RequestAsync(Connection c, byte[] request)
    {
        c.Writer.WriteBinary(request);
        await c.Writer.FlushAsync().ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ConnectionReader reader = c.Reader;
        await reader.WaitAsync(1, deadline.Token).ConfigureAwait(false);
        while (!reader.Peek(reader.Length).Span.EndsWith(Body))
        {
            await reader.WaitAsync(reader.Length + 1, deadline.Token).ConfigureAwait(false);
        }

        reader.Skip(reader.Length);
        reader.Release();
    }

    private static long Resumed(Dialer dialer) => dialer.GetStats().Sum(s => s[PollerCounter.TlsResumedHandshakes]);

    private static double Percentile(long[] sorted, double q) =>
        sorted.Length == 0 ? 0 : Stopwatch.GetElapsedTime(0, sorted[Math.Min(sorted.Length - 1, (int)(q * (sorted.Length - 1)))]).TotalMicroseconds;

    private static void Emit(string tag, object payload)
    {
        string json = JsonSerializer.Serialize(payload);
        lock (Console.Out)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tag} {json}"));
            Console.Out.Flush();
        }
    }
}
