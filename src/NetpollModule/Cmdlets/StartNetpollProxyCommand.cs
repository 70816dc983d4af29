using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Security;
using Netpoll.Connections;
using Netpoll.Polling;
using Netpoll.Proxy;
using Netpoll.Server;
using Netpoll.Tls;

namespace Netpoll.PowerShell;

/// <summary>Start-NetpollProxy: starts a fault-injecting TCP proxy in front of an upstream and returns at once.</summary>
[Cmdlet(VerbsLifecycle.Start, "NetpollProxy", SupportsShouldProcess = true, HelpUri = HelpLinks.Proxy)]
[OutputType(typeof(NetpollProxy))]
public sealed class StartNetpollProxyCommand : PSCmdlet
{
    /// <summary>A unique name (among proxies and servers); default proxy-N.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[\w.\-]+$")]
    public string? Name { get; set; }

    /// <summary>Where to forward: host:port, [IPv6]:port or unix:path. A host name resolves at start.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateUpstream]
    public string Upstream { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port; the proxy object carries the real one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Pollers on each side (clients, upstreams).</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int Pollers { get; set; } = new EventLoopOptions().Pollers;

    /// <summary>The kernel API both sides' pollers run on; where io_uring is refused, epoll runs and the proxy's BackendReason says why.</summary>
    [Parameter]
    public PollerBackendKind Backend { get; set; } = PollerBackendKind.Auto;

    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(DialTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What a client gets when its upstream cannot be reached or fails: Close (FIN) or Reset (RST).</summary>
    [Parameter]
    public UpstreamFailureAction OnUpstreamFailure { get; set; } = UpstreamFailureAction.Close;

    /// <summary>Close a pair where no byte moved for this long; 0: never.</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(IdleTimeout))]
    [ValidateTimeSpanRange]
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>Terminate TLS from clients with this certificate: an X509Certificate2, or the path of a PFX or PEM file.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Certificate { get; set; }

    /// <summary>The password of a PFX file, or of an encrypted PEM key, given to -Certificate.</summary>
    [Parameter]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>The PEM private key, when -Certificate is a PEM file without it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateKeyPath { get; set; }

    /// <summary>Connect to the upstream over TLS (its host name is the SNI and the name checked).</summary>
    [Parameter]
    public SwitchParameter UpstreamTls { get; set; }

    /// <summary>With -UpstreamTls: accept any upstream certificate. For tests only.</summary>
    [Parameter]
    public SwitchParameter UpstreamSkipCertificateCheck { get; set; }

    protected override void EndProcessing()
    {
        string name = Name ?? Registries.NextFreeName("proxy");
        if (Registries.IsNameTaken(name))
        {
            WriteError(NameInUse(name));
            return;
        }

        IPEndPoint listen = ListenAddress.Parse(this, Address, Port);
        UpstreamAddress upstream = UpstreamAddress.Parse(Upstream, out _)!;
        if (!ShouldProcess($"proxy '{name}' on {listen} to {Upstream}", "Start"))
        {
            return;
        }

        if (UpstreamSkipCertificateCheck && !UpstreamTls)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-UpstreamSkipCertificateCheck applies to -UpstreamTls: add -UpstreamTls, or leave it out."),
                ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, Upstream));
        }

        ServerCertificate.RefuseWithoutCertificate(this, Certificate);
        TlsServerOptions? clientTls = Certificate is null ? null : new TlsServerOptions { Certificate = ServerCertificate.LoadFor(this, Certificate, CertificateKeyPath, CertificatePassword) };
        TlsClientOptions? upstreamTls = !UpstreamTls ? null : new TlsClientOptions
        {
            TargetHost = upstream.Host is { } host && Uri.CheckHostName(host) == UriHostNameType.Dns ? host : null,
            SkipCertificateValidation = UpstreamSkipCertificateCheck,
        };

        EndPoint target;
        try
        {
            target = upstream.Resolve();
        }
        catch (SocketException ex)
        {
            WriteError(new ErrorRecord(new IOException($"The upstream host '{upstream.Host}' does not resolve: {ex.Message}", ex), ErrorIds.UpstreamNotResolved, ErrorCategory.ObjectNotFound, Upstream));
            return;
        }

        TcpProxy proxy;
        try
        {
            proxy = TcpProxy.Start(new TcpProxyOptions
            {
                Name = name,
                EndPoint = listen,
                Upstream = target,
                Pollers = Pollers,
                Backend = Backend,
                DialTimeout = DialTimeout,
                OnUpstreamFailure = OnUpstreamFailure,
                Connection = new ConnectionOptions { IdleTimeout = IdleTimeout },
                Tls = clientTls,
                UpstreamTls = upstreamTls,
            });
        }
        catch (ArgumentException ex) when (clientTls is not null)
        {
            ThrowTerminatingError(ServerCertificate.Invalid(ex, Certificate));
            return;
        }
        catch (PlatformNotSupportedException ex) when ((clientTls is not null || upstreamTls is not null) && ex.Message.Contains("OpenSSL", StringComparison.Ordinal))
        {
            // TLS needs OpenSSL 3 and this system has none (the message names what was looked for).
            ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.TlsUnavailable, ErrorCategory.NotInstalled, Certificate ?? Upstream));
            return;
        }
        catch (PlatformNotSupportedException ex)
        {
            WriteError(new ErrorRecord(ex, ErrorIds.BackendNotSupported, ErrorCategory.NotImplemented, Backend));
            return;
        }
        catch (SocketException ex)
        {
            WriteError(ListenAddress.Failed(ex, listen.ToString()));
            return;
        }

        if (Backend == PollerBackendKind.IoUring && proxy.BackendInUse != PollerBackendKind.IoUring)
        {
            WriteWarning($"Proxy '{name}' runs on {proxy.BackendInUse}, not io_uring: {proxy.BackendReason}");
        }

        var started = new NetpollProxy(Registries.Proxies.NextId(), Upstream, proxy) { Pollers = Pollers };
        if (!Registries.Proxies.TryAdd(started))
        {
            proxy.StopAsync(TimeSpan.Zero).GetAwaiter().GetResult();
            WriteError(NameInUse(name));
            return;
        }

        ModuleLifecycle.WarnBeforeStopping(MyInvocation.MyCommand.Module);
        WriteVerbose($"Started {started}.");
        WriteObject(started);
    }

    private static ErrorRecord NameInUse(string name) => new(
        new InvalidOperationException($"A Netpoll proxy or server named '{name}' is already running. Stop it or choose another -Name."),
        ErrorIds.ProxyNameInUse, ErrorCategory.ResourceExists, name);
}
