#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Load a server, assert on its stats, stop it: the scenario a CI pipeline runs.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:echo = Start-NetpollServer -Name 'pester-load' -Protocol Echo -Port 0 -Pollers 2
    $script:http = Start-NetpollServer -Name 'pester-http' -Protocol Http -Port 0
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'Invoke-NetpollLoad' {
    It 'completes the requested echo round trips and the server counted the same bytes' {
        $result = $echo | Invoke-NetpollLoad -Connections 50 -Requests 20000 -MessageSize 512
        $result.Requests | Should -Be 20000
        $result.Errors | Should -Be 0
        $result.LatencyP99 | Should -BeGreaterOrEqual $result.LatencyP50

        $stats = Get-NetpollStats -Name 'pester-load' -Aggregate
        $stats.BytesIn | Should -Be $result.BytesSent
        $stats.Accepted | Should -Be 50
    }

    It 'drives the Http protocol from a separate process with -Isolated' {
        $result = Invoke-NetpollLoad -Target "127.0.0.1:$($http.Port)" -Pattern Http -Pipeline 4 -Connections 20 -Requests 5000 -Isolated
        $result.Isolated | Should -BeTrue
        $result.Requests | Should -Be 5000
    }

    It 'classifies refused connections' {
        $closed = Start-NetpollServer -Name 'pester-closed' -Port 0
        $port = $closed.Port
        Stop-NetpollServer -Name 'pester-closed'
        $result = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Connections 3 -Duration 5
        $result.ConnectFailures | Should -Be 3
        $result.ErrorsByKind[[Netpoll.Load.LoadErrorKind]::Refused] | Should -Be 3
    }
}

Describe 'Get-NetpollStats' {
    It 'emits one object per poller that filters with Where-Object' {
        $pollers = Get-NetpollStats -Name 'pester-load'
        @($pollers).Count | Should -Be 2
        @(Get-NetpollStats -Name 'pester-load' | Where-Object Accepted -gt 0).Count | Should -BeGreaterThan 0
    }

    It 'streams -Count samples at -Interval' {
        $samples = Get-NetpollStats -Name 'pester-load' -Aggregate -Interval 0.1 -Count 3
        @($samples).Count | Should -Be 3
        ($samples | Sort-Object Timestamp | Select-Object -Last 1).Interval | Should -BeGreaterThan ([TimeSpan]::Zero)
    }

    It 'exports to CSV with raw numbers' {
        $path = Join-Path $TestDrive 'stats.csv'
        Get-NetpollStats -Name 'pester-load' | Export-Csv -Path $path
        $rows = Import-Csv -Path $path
        [long]$rows[0].BytesIn | Should -BeGreaterOrEqual 0
    }
}
