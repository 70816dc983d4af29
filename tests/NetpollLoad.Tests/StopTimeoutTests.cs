using System.Net;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Tests.Support;

namespace Netpoll.Load.Tests;

/// <summary>
/// A run that measured, then could not close its connections within the dialer's stop bound (a poller held up), returns
/// its whole result with the close's failure in <see cref="LoadResult.CleanupError"/> — not a TimeoutException the result
/// is lost behind (netpoll-load died of it with exit code 134 and no result at 17,000 io_uring connections).
/// </summary>
public sealed class StopTimeoutTests
{
    [Fact]
    public async Task A_run_whose_poller_does_not_stop_in_time_reports_the_stop_timeout_with_its_result()
    {
        await using var server = TestServer.Start(new Netpoll.Protocols.EchoHandler());
        using var release = new ManualResetEventSlim();
        Task? stalling = null;
        try
        {
            Dialer HeldUpDialer(DialerOptions options)
            {
                var dialer = new Dialer(options);
                stalling = HoldUpPollerAsync(dialer, server.EndPoint, release);
                return dialer;
            }

            LoadResult result = await LoadGenerator.RunAsync(
                new LoadOptions { Target = server.EndPoint, Connections = 1, Pattern = LoadPattern.Idle, Duration = TimeSpan.FromSeconds(1) },
                progress: null,
                HeldUpDialer,
                CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(40));

            Assert.Equal("Duration", result.StopReason);
            Assert.Equal(1, result.ConnectionsOpened);
            Assert.NotNull(result.CleanupError);
            Assert.StartsWith("TimeoutException: ", result.CleanupError, StringComparison.Ordinal);
            Assert.Contains("did not stop within 10 s", result.CleanupError, StringComparison.Ordinal);
        }
        finally
        {
            release.Set(); // the poller goes on, and stops: it was asked to
            if (stalling is not null)
            {
                await stalling.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
    }

    /// <summary>Half a second into the run, a reply makes an inline handler block its poller until <paramref name="release"/>.</summary>
    private static async Task HoldUpPollerAsync(Dialer dialer, EndPoint target, ManualResetEventSlim release)
    {
        Connection connection = await dialer.ConnectAsync(target, new BlockingHandler(release));
        await Task.Delay(500);
        connection.Writer.WriteBinary([1]);
        await connection.Writer.FlushAsync();
    }

    /// <summary>Runs inline on the poller (the generator's dialer dispatches inline) and blocks it: a poller that cannot stop.</summary>
    private sealed class BlockingHandler(ManualResetEventSlim release) : ConnectionHandler
    {
        public override ValueTask OnRequestAsync(Connection connection)
        {
            _ = release.Wait(TimeSpan.FromSeconds(30));
            return ValueTask.CompletedTask;
        }
    }
}
