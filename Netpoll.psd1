@{
    # The development manifest: loads the build that dotnet build Netpoll.slnx stages in artifacts/module.
    # src/NetpollPackage writes the installable one (artifacts/packages) with these paths relative to itself.
    RootModule             = 'artifacts/module/Netpoll.PowerShell.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core')
    GUID                   = '665d6302-f510-45a0-9bb7-27741d5bb36f'
    Author                 = 'Netpoll contributors'
    CompanyName            = 'Netpoll'
    Copyright              = '(c) Netpoll contributors. MIT License.'
    Description            = 'A multi-reactor epoll/kqueue network engine with zero-copy buffers, run from PowerShell: start servers, watch per-poller stats as objects, drive large connection tests, tune the OS.'
    PowerShellVersion      = '7.6'
    HelpInfoUri            = 'https://github.com/netpoll-dotnet/netpoll/releases/latest/download/'
    FormatsToProcess       = @('artifacts/module/Netpoll.format.ps1xml')
    TypesToProcess         = @('artifacts/module/Netpoll.types.ps1xml')
    CmdletsToExport        = @(
        'Start-NetpollServer'
        'Stop-NetpollServer'
        'Get-NetpollServer'
        'Get-NetpollStats'
        'Invoke-NetpollLoad'
        'Merge-NetpollLoadResult'
        'Get-NetpollTuning'
        'Test-NetpollTuning'
        'Set-NetpollTuning'
        'Restore-NetpollTuning'
        'Export-NetpollReport'
        'New-NetpollCertificate'
        'Enable-NetpollTelemetry'
        'Disable-NetpollTelemetry'
        'Get-NetpollTelemetry'
        'Get-NetpollRoute'
        'Set-NetpollRoute'
        'Remove-NetpollRoute'
        'Start-NetpollProxy'
        'Stop-NetpollProxy'
        'Get-NetpollProxy'
        'Add-NetpollToxic'
        'Get-NetpollToxic'
        'Set-NetpollToxic'
        'Remove-NetpollToxic'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('netpoll', 'epoll', 'kqueue', 'networking', 'load-testing', 'performance', 'PSEdition_Core', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/netpoll-dotnet/netpoll'
            LicenseUri   = 'https://github.com/netpoll-dotnet/netpoll/blob/main/LICENSE'
            ReleaseNotes = @'
0.1.0
- Start-, Stop-, Get-NetpollServer: in-process multi-reactor servers (Echo, Discard, Http, the user's own
  -Handler), and HTTP mocks with -Route: static answers at engine speed, scriptblocks in a runspace pool.
- Get-, Set-, Remove-NetpollRoute: a live server's routes, with hit counts and latency.
- Get-NetpollStats: live per-poller or per-server stats, once or streamed, rates over a defined window.
- Invoke-NetpollLoad: C# load generator (PingPong, Pipelined, Http, Idle), in-process or -Isolated; results
  with latencies in milliseconds (null when nothing was measured), errors by cause, NetpollLoadFailed when
  no request completed, and Ctrl+C results in -OutVariable and $NetpollLastLoadResult.
- TLS: Start-NetpollServer -Certificate (X509Certificate2, PFX or PEM) for every protocol; New-NetpollCertificate
  for tests; Invoke-NetpollLoad -Uri https://..., -SkipCertificateCheck, -TlsResumption, -Pattern Handshake.
- Merge-NetpollLoadResult and Invoke-NetpollLoad -StartAt/-Tag: load fanned out over PowerShell remoting,
  started together and merged into one result (merged histograms, per-node parts, one wall-clock timeline);
  scripts/Invoke-DistributedLoad.ps1 preflights, tunes, runs, reports and restores every node.
- Export-NetpollReport: samples as CSV, a JSON summary and an HTML page of charts on one clock.
- Get-, Test-, Set-, Restore-NetpollTuning: check, apply exactly what the check flags (with a snapshot) and
  revert ulimit and TCP sysctls.
- Start-, Stop-, Get-NetpollProxy: a fault-injecting TCP proxy (toxiproxy's model) in front of any service;
  Add-, Get-, Set-, Remove-NetpollToxic change its toxics (latency, bandwidth, slow_close, timeout, reset_peer,
  slicer, limit_data, down) while it runs; Get-NetpollStats shows its pollers.
- Enable-, Disable-, Get-NetpollTelemetry: the Netpoll meter on the console (one line per server per export)
  and engine events through Microsoft.Extensions.Logging, in a private load context; dotnet-counters works too.
'@
        }
    }
}
