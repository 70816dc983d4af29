using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.Tls;

/// <summary>
/// One socket read that brings a good record and, behind it, bytes TLS refuses (a forged record, a record of no known
/// type, an unencrypted alert): the good record's plaintext is the peer's last data, and the handler gets it before the
/// connection closes as <see cref="CloseReason.Error"/> — on every backend, in both dispatch modes, TLS 1.2 and 1.3.
/// Before, the decode's failure closed the connection at once and the plaintext decoded with it never reached the handler.
/// </summary>
public sealed class TlsBadRecordAfterDataTests
{
    public enum BadBytes
    {
        /// <summary>A real record from the same session with its authentication tag flipped: bad_record_mac.</summary>
        ForgedRecord,

        /// <summary>A record header of a content type TLS does not have.</summary>
        UnknownRecordType,

        /// <summary>A fatal alert in clear text where the session's records are encrypted.</summary>
        UnencryptedFatalAlert,
    }

    public static TheoryData<PollerBackendKind, DispatchMode, SslProtocols, BadBytes> Cases()
    {
        var rows = new TheoryData<PollerBackendKind, DispatchMode, SslProtocols, BadBytes>();
        foreach (PollerBackendKind backend in BackendMatrix.Kinds)
        {
            foreach (DispatchMode dispatch in new[] { DispatchMode.ThreadPool, DispatchMode.Inline })
            {
                foreach (SslProtocols protocol in new[] { SslProtocols.Tls12, SslProtocols.Tls13 })
                {
                    foreach (BadBytes bad in Enum.GetValues<BadBytes>())
                    {
                        rows.Add(backend, dispatch, protocol, bad);
                    }
                }
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_handler_gets_the_plaintext_decoded_before_bad_bytes_then_the_close_as_Error(
        PollerBackendKind backend, DispatchMode dispatch, SslProtocols protocol, BadBytes bad)
    {
        var events = new ConcurrentQueue<string>();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A handler as most are written: each call takes what is there and returns.
        await using TestServer server = TlsTestServer.Start(c =>
        {
            if (c.Context is null)
            {
                c.Context = "seen";
                c.AddCloseCallback(x =>
                {
                    events.Enqueue($"closed:{x.CloseReason}");
                    closed.TrySetResult();
                });
            }

            events.Enqueue($"data:{c.Reader.ReadString(c.Reader.Length)}");
            return ValueTask.CompletedTask;
        }, dispatch, backend);

        (SslStream client, WireStream wire) = await WireStream.ConnectClientAsync(server, protocol);
        await using (client)
        {
            await client.WriteAsync("hello"u8.ToArray());
            await TestServer.Eventually(() => events.Contains("data:hello"), "the handler read the first record");

            byte[] good = await SealAsync(client, wire, "last words");
            byte[] refused = bad switch
            {
                BadBytes.ForgedRecord => Forge(await SealAsync(client, wire, "forged")),
                BadBytes.UnknownRecordType => [0x42, 0x03, 0x03, 0x00, 0x10, .. new byte[16]],
                _ => [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50], // fatal internal_error, unencrypted
            };
            await wire.SendAllAsync((byte[])[.. good, .. refused]); // one send: the server reads both at once

            await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }

        string[] seen = [.. events];
        string context = $"{backend} {dispatch} {protocol} {bad}: {string.Join(" | ", seen)}";
        Assert.True(seen.Length >= 3, context);
        Assert.Equal("data:hello", seen[0]);
        Assert.True(string.Concat(seen[1..^1].Select(e => e["data:".Length..])) == "last words", $"the last good record's plaintext did not reach the handler: {context}");
        Assert.True(seen[^1] == "closed:Error", $"the close after it was not Error: {context}");
    }

    [Theory]
    [MemberData(nameof(BackendMatrix.Dispatch), MemberType = typeof(BackendMatrix))]
    public async Task A_reader_waiting_for_more_gets_the_data_then_a_ConnectionClosedException_with_reason_Error(PollerBackendKind backend, DispatchMode dispatch)
    {
        var received = new StringBuilder();
        var ended = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A handler that reads a stream to its end: one call that waits for more until there is no more.
        await using TestServer server = TlsTestServer.Start(async c =>
        {
            try
            {
                while (true)
                {
                    await c.Reader.WaitAsync(1);
                    lock (received)
                    {
                        received.Append(c.Reader.ReadString(c.Reader.Length));
                    }

                    c.Reader.Release();
                }
            }
            catch (Exception ex)
            {
                ended.TrySetResult(ex);
            }
        }, dispatch, backend);

        (SslStream client, WireStream wire) = await WireStream.ConnectClientAsync(server, SslProtocols.Tls13);
        await using (client)
        {
            await client.WriteAsync("hello "u8.ToArray());
            await TestServer.Eventually(() => { lock (received) { return received.Length > 0; } }, "the handler read the first record");
            byte[] good = await SealAsync(client, wire, "last words");
            byte[] forged = Forge(await SealAsync(client, wire, "forged"));
            await wire.SendAllAsync((byte[])[.. good, .. forged]);

            Exception error = await ended.Task.WaitAsync(TimeSpan.FromSeconds(15));
            lock (received)
            {
                Assert.Equal("hello last words", received.ToString());
            }

            // Not an end of stream: the stream failed, and the reader is told so, with TLS's reason.
            ConnectionClosedException closedError = Assert.IsType<ConnectionClosedException>(error);
            Assert.Equal(CloseReason.Error, closedError.Reason);
            Assert.Contains("bad record mac", closedError.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>What the client's TLS layer writes for <paramref name="text"/> (one record), held back from the wire.</summary>
    private static async Task<byte[]> SealAsync(SslStream client, WireStream wire, string text)
    {
        wire.Hold = true;
        await client.WriteAsync(Encoding.ASCII.GetBytes(text));
        wire.Hold = false;
        return wire.TakeHeld();
    }

    /// <summary>The record with the last byte of its authentication tag flipped: it can no longer be decrypted.</summary>
    private static byte[] Forge(byte[] record)
    {
        record[^1] ^= 0xFF;
        return record;
    }
}
