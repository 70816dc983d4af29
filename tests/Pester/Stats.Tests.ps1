#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Per-poller and per-server stats as objects: what moved over a connection, rates between samples, streaming.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'Get-NetpollStats' {
    BeforeEach {
        $script:server = Start-NetpollServer -Name 'pester-stats' -Pollers 2 -Port 0
    }

    AfterEach {
        $server | Stop-NetpollServer -Force
    }

    It 'gives one object per poller, and Where-Object finds the poller that served a connection' {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try {
            $null = Invoke-TcpRoundTrip -Client $client -Count 100
            $all = Get-NetpollStats -Name 'pester-stats'
            @($all).Count | Should -Be 2
            $all.ServerName | Should -Be @('pester-stats', 'pester-stats')

            $busy = @(Get-NetpollStats -Name 'pester-stats' | Where-Object Connections -gt 0)
            $busy.Count | Should -Be 1
            $busy[0].BytesIn | Should -Be 100
            $busy[0].BytesOut | Should -Be 100
            $busy[0].Accepted | Should -Be 1
        }
        finally { $client.Dispose() }
    }

    It 'aggregates per server from the pipeline, with rates over the sample''s interval' {
        $first = Get-NetpollServer -Name 'pester-stats' | Get-NetpollStats -Aggregate
        $first.Pollers | Should -Be 2
        $first.BytesInPerSecond | Should -Be 0

        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try { $null = Invoke-TcpRoundTrip -Client $client -Count 50000 }
        finally { $client.Dispose() }

        $second = Get-NetpollStats -Name 'pester-stats' -Aggregate
        $second.BytesIn | Should -Be 50000
        $second.Interval | Should -BeGreaterThan ([TimeSpan]::Zero)
        $second.BytesInPerSecond | Should -BeGreaterThan 0
        $second.Accepted | Should -Be 1
    }

    It 'streams -Count samples -Interval apart' {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $samples = Get-NetpollStats -Name 'pester-stats' -Aggregate -Interval 0.1 -Count 3
        @($samples).Count | Should -Be 3
        # Three samples are two intervals apart at least; the upper bound only catches a hang.
        $clock.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 150
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        ($samples | Sort-Object Timestamp | Select-Object -Last 1).Interval | Should -BeGreaterThan ([TimeSpan]::Zero)
    }

    It 'says -Count needs -Interval' {
        $thrown = { Get-NetpollStats -Name 'pester-stats' -Count 3 -ErrorAction Stop } | Should -Throw -PassThru
        $thrown.Exception.Message | Should -BeLike '*-Interval*'
    }

    It 'carries raw numbers that Measure-Object sums and Export-Csv writes' {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try { $null = Invoke-TcpRoundTrip -Client $client -Count 300 }
        finally { $client.Dispose() }

        (Get-NetpollStats -Name 'pester-stats' | Measure-Object -Property BytesIn -Sum).Sum | Should -Be 300
        $path = Join-Path $TestDrive 'stats.csv'
        Get-NetpollStats -Name 'pester-stats' | Export-Csv -Path $path
        (Import-Csv -Path $path | Measure-Object -Property BytesIn -Sum).Sum | Should -Be 300
    }
}

Describe 'Get-NetpollStats counts add up' {
    It 'counts connections refused at -MaxConnections as AcceptsRejected, so Accepted - Closed is what is open' {
        # They were counted Accepted and never Connections or Closed: 3 of 5 clients vanished from the numbers.
        $limited = Start-NetpollServer -Name 'pester-stats-max' -Pollers 2 -Port 0 -MaxConnections 2
        $clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
        try {
            foreach ($i in 1..5) {
                $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $limited.Port)
                $clients.Add($client)
                $deadline = [DateTime]::UtcNow.AddSeconds(5)
                do { $stats = Get-NetpollStats -InputObject $limited -Aggregate } until ($stats.Accepted + $stats.AcceptsRejected -eq $i -or [DateTime]::UtcNow -gt $deadline)
            }
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            do { $stats = Get-NetpollStats -InputObject $limited -Aggregate } until ($stats.Connections -eq 2 -or [DateTime]::UtcNow -gt $deadline)

            $stats.Connections | Should -Be 2
            $stats.AcceptsRejected | Should -Be 3
            $stats.Accepted - $stats.Closed | Should -Be $stats.Connections
            (Get-NetpollStats -InputObject $limited | Measure-Object AcceptsRejected -Sum).Sum | Should -Be 3
        }
        finally {
            foreach ($client in $clients) { $client.Dispose() }
            $limited | Stop-NetpollServer -Force
        }
    }
}

Describe 'Get-NetpollStats streaming a server that stops' {
    It 'ends the stream with a warning instead of repeating the stopped server''s frozen counters' {
        # It went on sampling the stopped server every interval: a stream with no -Count never ended.
        $watched = Start-NetpollServer -Name 'pester-stats-stream' -Port 0
        $manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
        $job = Start-ThreadJob -ScriptBlock { param($m) Import-Module $m; Get-NetpollStats -Name 'pester-stats-stream' -Aggregate -Interval 0.2 3>&1 } -ArgumentList $manifest
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (@($job.Output).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $watched | Stop-NetpollServer
            $job | Wait-Job -Timeout 5 | Out-Null
            $job.State | Should -Be 'Completed'
            $output = @($job | Receive-Job)
            $warning = @($output | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
            $warning | Should -HaveCount 1
            "$($warning[0])" | Should -BeLike "Server 'pester-stats-stream' (Id *) stopped: Get-NetpollStats samples it no more."
        }
        finally {
            $job | Remove-Job -Force
            Get-NetpollServer -Name 'pester-stats-stream' -ErrorAction SilentlyContinue | Stop-NetpollServer -Force
        }
    }
}
