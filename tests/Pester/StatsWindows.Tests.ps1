#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Reading Get-NetpollStats as an operator does: per poller, aggregated, streamed, in a table.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:server = Start-NetpollServer -Name 'pester-sw' -Protocol Echo -Port 0 -Pollers 2
    $script:load = $server | Invoke-NetpollLoad -Connections 20 -Requests 4000 -MessageSize 256
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'Per-poller counters that add up' {
    It 'says which poller accepted and which owns: Assigned adds up to the connections served' {
        $pollers = Get-NetpollStats -Name 'pester-sw'
        ($pollers | Measure-Object Assigned -Sum).Sum | Should -Be 20
        ($pollers | Measure-Object Accepted -Sum).Sum | Should -Be 20
        foreach ($poller in $pollers) {
            $poller.Assigned | Should -Be ($poller.Connections + $poller.Closed)
        }
        # The listener runs on one poller, which accepts all 20 and hands half to the other.
        ($pollers | Where-Object Accepted -gt 0 | Measure-Object).Count | Should -Be 1
        $pollers | ForEach-Object Assigned | Should -Be @(10, 10)
    }
}

Describe 'Rates over a defined window' {
    It 'measures a command''s first sample from the server''s start, not from whenever anyone last asked' {
        $null = Get-NetpollStats -Name 'pester-sw' -Aggregate
        Start-Sleep -Milliseconds 300
        $sample = Get-NetpollStats -Name 'pester-sw' -Aggregate
        $sinceStart = $sample.Timestamp - $server.StartTime
        $sample.Interval | Should -BeGreaterOrEqual ($sinceStart - [TimeSpan]::FromMilliseconds(50))
        $sample.BytesInPerSecond | Should -BeGreaterThan 0
    }

    It 'measures later samples of a stream from the previous one' {
        $samples = @(Get-NetpollStats -Name 'pester-sw' -Aggregate -Interval 0.2 -Count 3)
        # The window is the gap between the two samples, not the time since the server started (a clock-free check).
        # (each poller reads its own clock, so the server's window may differ from the gap by the read's few ms)
        ($samples[1].Interval - ($samples[1].Timestamp - $samples[0].Timestamp)).Duration().TotalMilliseconds | Should -BeLessThan 50
        $samples[1].Interval | Should -BeLessThan ($samples[1].Timestamp - $server.StartTime)
        $samples[1].BytesInPerSecond | Should -Be 0 # nothing moved between them
    }
}

Describe 'A table people can read' {
    It 'has a time column, units scaled to the value, and both rates labelled as rates' {
        $table = Get-NetpollStats -Name 'pester-sw' | Format-Table | Out-String -Width 80
        $table | Should -Match 'Time\s+Server'
        $table | Should -Match '\d\d:\d\d:\d\d\s+pester-sw'
        $table | Should -Match 'In/s'
        $table | Should -Match 'Out/s'
        $table | Should -Match 'Assigned'
        $table | Should -Match 'Busy%' -Because 'the table fits 80 columns'
        $table | Should -Match '\d+(\.\d+)? KiB\b'           # 512 KiB moved per poller: not 0.5 MiB
        $table | Should -Match '/s'
        $aggregate = Get-NetpollStats -Name 'pester-sw' -Aggregate | Format-Table | Out-String -Width 80
        $aggregate | Should -Match 'Time\s+Server'
        $aggregate | Should -Match 'Out/s'
    }

    It 'scales bytes to B, KiB, MiB and GiB' {
        [Netpoll.PowerShell.ByteUnits]::Format(100) | Should -Be '100 B'
        [Netpoll.PowerShell.ByteUnits]::Format(1536) | Should -Be '1.50 KiB'
        [Netpoll.PowerShell.ByteUnits]::Format(5MB) | Should -Be '5.00 MiB'
        [Netpoll.PowerShell.ByteUnits]::Format(300GB) | Should -Be '300 GiB'
        [Netpoll.PowerShell.ByteUnits]::FormatRate(2048) | Should -Be '2.00 KiB/s'
    }
}

Describe 'Errors of its own' {
    It 'reports a missing server with a not-found error of Get-NetpollStats, not of Stop-NetpollServer' {
        Get-NetpollStats -Name 'pester-nope' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -Be 'NetpollServerNotFound,Netpoll.PowerShell.GetNetpollStatsCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
