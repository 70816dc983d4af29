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
    FormatsToProcess       = @('artifacts/module/Netpoll.format.ps1xml')
    CmdletsToExport        = @(
        'Start-NetpollServer'
        'Stop-NetpollServer'
        'Get-NetpollServer'
        'Get-NetpollStats'
        'Invoke-NetpollLoad'
        'Get-NetpollTuning'
        'Test-NetpollTuning'
        'Set-NetpollTuning'
        'Restore-NetpollTuning'
        'Export-NetpollReport'
        'Enable-NetpollTelemetry'
        'Disable-NetpollTelemetry'
        'Get-NetpollTelemetry'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('netpoll', 'epoll', 'kqueue', 'networking', 'load-testing', 'performance', 'PSEdition_Core', 'Linux', 'MacOS')
            ReleaseNotes = @'
0.1.0
- Start-, Stop-, Get-NetpollServer: in-process multi-reactor servers (Echo, Discard, Http).
- Get-NetpollStats: live per-poller or per-server stats, once or streamed.
- Invoke-NetpollLoad: C# load generator (PingPong, Pipelined, Http, Idle), in-process or -Isolated.
- Get-, Test-, Set-, Restore-NetpollTuning: check, apply (with a snapshot) and revert ulimit and TCP sysctls.
'@
        }
    }
}
