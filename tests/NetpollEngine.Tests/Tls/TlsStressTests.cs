using System.Text;
using Netpoll.Client;
using Netpoll.Connections;
using Netpoll.Protocols;
using Netpoll.Polling;
using Netpoll.Tests.Support;
using Netpoll.Tls;

namespace Netpoll.Tests.Tls;

/// <summary>Many TLS connections in request/response at once, in both dispatch modes: every request gets its answer.</summary>
public class TlsStressTests
{
    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task Keep_alive_requests_on_many_TLS_connections_all_get_answers(PollerBackendKind backend, DispatchMode dispatch)
    {
        const int Connections = 16;
        const int Requests = 300;
        await using TestServer server = TlsTestServer.Start(new HttpHandler(), dispatch: dispatch, backend: backend);
        await using Dialer dialer = TlsTestServer.Dialer(backend);
        byte[] request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        byte[] body = Encoding.ASCII.GetBytes("Hello, World!");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        int[] done = new int[Connections];
        Task[] workers = [.. Enumerable.Range(0, Connections).Select(i => Task.Run(async () =>
        {
            Connection c = await dialer.ConnectAsync(server.EndPoint, cancellationToken: deadline.Token);
            for (int n = 0; n < Requests; n++)
            {
                c.Writer.WriteBinary(request);
                await c.Writer.FlushAsync(deadline.Token);
                await c.Reader.WaitAsync(1, deadline.Token);
                while (!c.Reader.Peek(c.Reader.Length).Span.EndsWith(body))
                {
                    await c.Reader.WaitAsync(c.Reader.Length + 1, deadline.Token);
                }

                c.Reader.Skip(c.Reader.Length);
                c.Reader.Release();
                done[i]++;
            }

            c.Close();
        }))];
        Task all = Task.WhenAll(workers);
        Task finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(80)));
        Assert.True(finished == all, $"requests answered per connection: {string.Join(", ", done)} of {Requests}");
        await all;
    }
}
