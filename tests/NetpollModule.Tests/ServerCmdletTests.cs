using System.Management.Automation;
using System.Net.Sockets;
using Netpoll.Protocols;
using Netpoll.Server;

namespace Netpoll.PowerShell.Tests;

public class ServerCmdletTests
{
    [Fact]
    public void Start_returns_at_once_with_the_real_port_and_Get_finds_it_by_name_and_wildcard()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name web -Protocol Http -Port 0 -Pollers 2");
        Assert.Equal("web", server.Name);
        Assert.True(server.Port > 0);
        Assert.Equal("127.0.0.1", server.Address);
        Assert.Equal(EventLoopState.Serving, server.State);
        Assert.Equal(2, server.Pollers);
        Assert.Equal(NetpollProtocol.Http, server.Protocol);

        Assert.Equal(server.Id, ps.Single<NetpollServer>("Get-NetpollServer -Name w*").Id);
        Assert.Equal("web", ps.Single<NetpollServer>($"Get-NetpollServer -Id {server.Id}").Name);

        using var client = new TcpClient();
        client.Connect("127.0.0.1", server.Port);
        client.GetStream().Write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8); // HTTP/1.1 requires Host (RFC 9112 §3.2)
        var buffer = new byte[256];
        int n = client.GetStream().Read(buffer);
        Assert.StartsWith("HTTP/1.1 200 OK", System.Text.Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Inline")]                       // Auto: the built-in protocols never block
    [InlineData("-Dispatch Auto", "Inline")]
    [InlineData("-Dispatch ThreadPool", "ThreadPool")]
    [InlineData("-Dispatch Inline", "Inline")]
    public void Dispatch_shows_the_mode_in_effect_and_the_server_serves_in_it(string dispatch, string expected)
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>($"Start-NetpollServer -Protocol Echo -Port 0 {dispatch}");
        Assert.Equal(expected, server.Dispatch.ToString());
        Assert.Equal(expected, ps.Single<string>("(Get-NetpollServer).Dispatch.ToString()"));

        using var client = new TcpClient { ReceiveTimeout = 10_000 };
        client.Connect("127.0.0.1", server.Port);
        client.GetStream().Write("hello"u8);
        var buffer = new byte[5];
        client.GetStream().ReadExactly(buffer);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void Wait_serves_until_stopped_like_Ctrl_C_and_then_stops_the_server()
    {
        using var ps = new PowerShellSession();
        using System.Management.Automation.PowerShell pipeline = ps.Create("Start-NetpollServer -Name waiting -Protocol Echo -Port 0 -Wait");
        var output = new PSDataCollection<PSObject>();
        IAsyncResult running = pipeline.BeginInvoke<PSObject, PSObject>(null, output);
        Eventually.Until(() => output.Count >= 1, "the server object is written");

        // Index, not enumerate: a PSDataCollection's enumerator blocks until the pipeline ends.
        Assert.True(output.Count == 1, $"one server object; got {output.Count}");
        NetpollServer server = Assert.IsType<NetpollServer>(output[0].BaseObject);
        Assert.False(running.IsCompleted, "-Wait keeps the command running while the server serves");
        using (var client = new TcpClient { ReceiveTimeout = 10_000 })
        {
            client.Connect("127.0.0.1", server.Port);
            client.GetStream().Write("hi"u8);
            var buffer = new byte[2];
            client.GetStream().ReadExactly(buffer);
        }

        IAsyncResult stopping = pipeline.BeginStop(null, null); // what Ctrl+C does
        Assert.True(stopping.AsyncWaitHandle.WaitOne(10_000), "Stop returned");
        Assert.True(running.IsCompleted || running.AsyncWaitHandle.WaitOne(10_000), "the command ended after Stop");
        Assert.Equal(EventLoopState.Stopped, server.State);
        Assert.Empty(ps.Run("Get-NetpollServer"));
    }

    [Fact]
    public void Get_NetpollServer_piped_into_Stop_NetpollServer_stops_them_all()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name a; Start-NetpollServer -Name b -Protocol Discard");
        Assert.Equal(2, ps.Run("Get-NetpollServer").Count);
        var stopped = ps.Run("Get-NetpollServer | Stop-NetpollServer -PassThru");
        Assert.Equal(2, stopped.Count);
        Assert.All(stopped, s => Assert.Equal(EventLoopState.Stopped, ((NetpollServer)s.BaseObject).State));
        Assert.Empty(ps.Run("Get-NetpollServer"));
        Assert.Empty(ps.Errors);
    }

    [Fact]
    public void Stop_binds_by_property_name_from_custom_objects()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name byname");
        ps.Run("[pscustomobject]@{ Name = 'byname' } | Stop-NetpollServer");
        Assert.Empty(ps.Run("Get-NetpollServer"));
    }

    [Fact]
    public void A_missing_server_is_a_non_terminating_ObjectNotFound_error_with_a_stable_id()
    {
        using var ps = new PowerShellSession();
        var output = ps.Run("Stop-NetpollServer -Name nope; 'still running'");
        Assert.Equal("still running", Assert.Single(output).BaseObject);
        ErrorRecord error = Assert.Single(ps.Errors);
        Assert.Equal("NetpollServerNotFound,Netpoll.PowerShell.StopNetpollServerCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("nope", error.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_in_use_is_a_terminating_error_with_id_NetpollPortInUse()
    {
        using var ps = new PowerShellSession();
        NetpollServer first = ps.Single<NetpollServer>("Start-NetpollServer -Name first");
        ErrorRecord error = ps.SingleError($"Start-NetpollServer -Name second -Port {first.Port}");
        Assert.Equal("NetpollPortInUse,Netpoll.PowerShell.StartNetpollServerCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceBusy, error.CategoryInfo.Category);
        Assert.Contains("-Port 0", error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(ps.Run("Get-NetpollServer"));
    }

    [Fact]
    public void A_duplicate_name_is_refused_with_NetpollServerNameInUse()
    {
        using var ps = new PowerShellSession();
        ps.Run("Start-NetpollServer -Name twin");
        ErrorRecord error = ps.SingleError("Start-NetpollServer -Name twin");
        Assert.StartsWith("NetpollServerNameInUse,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
    }

    [Theory]
    [InlineData("Start-NetpollServer -Port 70000", "Port")]
    [InlineData("Start-NetpollServer -Pollers 0", "Pollers")]
    [InlineData("Start-NetpollServer -Protocol Gopher", "Protocol")]
    [InlineData("Start-NetpollServer -Dispatch Sometimes", "Dispatch")]
    [InlineData("Start-NetpollServer -IdleTimeout -5", "IdleTimeout")]
    [InlineData("Start-NetpollServer -Name 'bad name!'", "Name")]
    [InlineData("Invoke-NetpollLoad -Target 127.0.0.1:1 -Connections 0", "Connections")]
    [InlineData("Invoke-NetpollLoad -Target 127.0.0.1:1 -Pattern Flood", "Pattern")]
    [InlineData("Get-NetpollStats -Count 0", "Count")]
    public void Invalid_parameters_are_rejected_at_binding_saying_what_is_allowed(string command, string parameter)
    {
        using var ps = new PowerShellSession();
        ErrorRecord error = ps.SingleError(command);
        Assert.IsType<ParameterBindingException>(error.Exception, exactMatch: false);
        Assert.Contains(parameter, error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(ps.Run("Get-NetpollServer"));
    }

    [Fact]
    public void WhatIf_starts_and_stops_nothing()
    {
        using var ps = new PowerShellSession();
        Assert.Empty(ps.Run("Start-NetpollServer -Name ghost -WhatIf"));
        Assert.Empty(ps.Run("Get-NetpollServer"));
        ps.Run("Start-NetpollServer -Name real");
        ps.Run("Stop-NetpollServer -Name real -WhatIf");
        Assert.Equal(EventLoopState.Serving, ps.Single<NetpollServer>("Get-NetpollServer -Name real").State);
    }

    [Fact]
    public void A_unix_socket_server_serves_on_its_path()
    {
        using var ps = new PowerShellSession();
        string path = Path.Combine(Path.GetTempPath(), $"np-{Guid.NewGuid():N}.sock");
        NetpollServer server = ps.Single<NetpollServer>($"Start-NetpollServer -Name unix -UnixSocket '{path}'");
        Assert.Equal($"unix:{path}", server.EndPoint);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send("hi"u8);
        var buffer = new byte[2];
        Assert.Equal(2, socket.Receive(buffer));
        ps.Run("Stop-NetpollServer -Name unix");
        Assert.False(File.Exists(path));
    }
}

public class CompletionTests
{
    [Fact]
    public void Name_and_Target_complete_from_the_servers_that_are_running()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name web-a");
        ps.Run("Start-NetpollServer -Name other");
        var names = ps.Run("(TabExpansion2 -inputScript 'Stop-NetpollServer -Name web' -cursorColumn 28).CompletionMatches | ForEach-Object ListItemText");
        Assert.Equal(["web-a"], names.Select(o => (string)o.BaseObject));
        var targets = ps.Run("(TabExpansion2 -inputScript 'Invoke-NetpollLoad -Target ' -cursorColumn 27).CompletionMatches | ForEach-Object ListItemText");
        Assert.Contains($"127.0.0.1:{server.Port}", targets.Select(o => (string)o.BaseObject));
    }
}
