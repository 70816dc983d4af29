#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# dotnet-counters (pinned in .config/dotnet-tools.json) reads the Netpoll meter of a server started in pwsh,
# without any of the module's telemetry sinks: the meter is a System.Diagnostics.Metrics meter.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:server = Start-NetpollServer -Name 'pester-counters' -Port 0
    $script:client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
    $null = Invoke-TcpRoundTrip -Client $client -Count 100
}

AfterAll {
    $client.Dispose()
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'dotnet-counters' {
    It 'collects the Netpoll meter of this pwsh process' {
        # $PID is this pwsh's own process (the tool's launcher is its parent); dotnet-counters attaches to it.
        $output = Join-Path $TestDrive 'counters.json'
        $run = Invoke-BoundedProcess -FilePath (Get-PwshCommandLine)[0] -TimeoutSeconds 60 -ArgumentList @(
            'dotnet-counters', 'collect', '--process-id', $PID, '--counters', 'Netpoll',
            '--format', 'json', '--refresh-interval', '1', '--duration', '00:00:00:03', '--output', $output)
        $run.ExitCode | Should -Be 0 -Because "$run"

        $events = (Get-Content -Raw $output | ConvertFrom-Json).Events
        $ours = @($events | Where-Object { $_.provider -eq 'Netpoll' -and $_.tags -like '*netpoll.owner.name=pester-counters*' })
        $ours.name | Should -Contain 'netpoll.connection.active ({connection})'
        ($ours | Where-Object name -eq 'netpoll.connection.active ({connection})' | Select-Object -Last 1).value | Should -Be 1
        ($ours | Where-Object name -like 'netpoll.io*' | Where-Object tags -like '*network.io.direction=receive*').Count | Should -BeGreaterThan 0
    }
}
