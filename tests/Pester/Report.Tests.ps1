#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Export-NetpollReport from what the module itself produces: stats samples, per-poller samples and a load result.

BeforeAll {
    $script:manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
    Import-Module $manifest -Force
    $server = Start-NetpollServer -Name 'pester-report' -Protocol Echo -Port 0 -Pollers 2

    # Load from another runspace while this one samples the server, as a test script would.
    $loader = [powershell]::Create()
    $null = $loader.AddScript("Import-Module '$manifest'; Invoke-NetpollLoad -Target '$($server.EndPoint)' -Connections 8 -Duration 2.5 -MessageSize 256")
    $running = $loader.BeginInvoke()
    $script:samples = @(Get-NetpollStats -Name 'pester-report' -Aggregate -Interval 0.5 -Count 6)
    $script:pollers = @(Get-NetpollStats -Name 'pester-report')
    $script:load = @($loader.EndInvoke($running))[0]
    $loader.Dispose()

    $script:reportDir = Join-Path $TestDrive 'report'
    $script:report = $samples + $pollers + $load | Export-NetpollReport -Path $reportDir -Title 'Pester report'
    $script:html = Get-Content -Raw $report.Html
    $script:charts = @{}
    foreach ($svg in [regex]::Matches($html, '<svg .*?</svg>')) {
        $charts[([regex]::Match($svg.Value, 'aria-label="([^"]+)"')).Groups[1].Value] = $svg.Value
    }

    function script:Lines([string] $Chart) {
        [regex]::Matches($charts[$Chart], '<polyline ([^>]*) points="([^"]*)"><title>([^<]*)</title>') | ForEach-Object {
            [pscustomobject]@{
                Name   = $_.Groups[3].Value
                Style  = $_.Groups[1].Value
                Points = @($_.Groups[2].Value -split ' ' | Where-Object { $_ } | ForEach-Object { $x, $y = $_ -split ','; [pscustomobject]@{ X = [double]$x; Y = [double]$y } })
            }
        }
    }

    function script:XTicks([string] $Chart) {
        @([regex]::Matches($charts[$Chart], '<text x="([\d.]+)" y="\d+" text-anchor="middle" font-size="11">([^<]+)</text>') | ForEach-Object { "$($_.Groups[1].Value)=$($_.Groups[2].Value)" })
    }
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'Export-NetpollReport' {
    It 'takes the module''s own objects from the pipeline and writes four files' {
        $load | Should -BeOfType ([Netpoll.Load.LoadResult])
        $report.Html | Should -Exist
        $report.SamplesCsv | Should -Exist
        @(Import-Csv $report.SamplesCsv).Count | Should -Be 6
        @(Import-Csv $report.PollersCsv).Count | Should -Be 2
        $summary = Get-Content -Raw $report.SummaryJson | ConvertFrom-Json
        $summary.Load.Requests | Should -Be $load.Requests
        $summary.Load.Backend | Should -Be $load.Backend.ToString() -Because 'the generator''s backend is part of what was measured'
        $summary.Load.BackendReason | Should -Be $load.BackendReason
    }

    It 'draws Get-NetpollStats -Aggregate samples as real lines' {
        (Lines 'Connections' | Where-Object Name -eq 'server connections').Points | Should -HaveCount 6
        foreach ($line in Lines 'Server throughput') {
            $line.Points | Should -HaveCount 6 -Because "$($line.Name) has a point per sample"
        }
    }

    It 'puts every chart on one clock and one x-range' {
        $ticks = XTicks 'Connections'
        $ticks | Should -Not -BeNullOrEmpty
        foreach ($chart in $charts.Keys) {
            XTicks $chart | Should -Be $ticks -Because "$chart shares the x-range"
        }

        # Samples sit at their own times: the gaps between points follow the gaps between timestamps.
        $points = (Lines 'Connections' | Where-Object Name -eq 'server connections').Points
        $times = $samples | ForEach-Object { $_.Timestamp }
        $pixelsPerSecond = ($points[-1].X - $points[0].X) / ($times[-1] - $times[0]).TotalSeconds
        for ($i = 1; $i -lt $points.Count; $i++) {
            ($points[$i].X - $points[$i - 1].X) | Should -BeGreaterOrEqual (($times[$i] - $times[$i - 1]).TotalSeconds * $pixelsPerSecond - 1)
            ($points[$i].X - $points[$i - 1].X) | Should -BeLessOrEqual (($times[$i] - $times[$i - 1]).TotalSeconds * $pixelsPerSecond + 1)
        }

        # The client's first progress sample and the server's samples are placed on the same clock.
        $clientFirst = $load.StartTime + $load.Timeline[0].Elapsed
        $origin = @($load.StartTime) + $times | Sort-Object | Select-Object -First 1
        $clientX = (Lines 'Connections' | Where-Object Name -eq 'client open').Points[0].X
        $expected = $points[0].X + ($clientFirst - $times[0]).TotalSeconds * $pixelsPerSecond
        $clientX | Should -BeGreaterOrEqual ($expected - 1.5)
        $clientX | Should -BeLessOrEqual ($expected + 1.5)
        $html | Should -Match ([regex]::Escape($origin.ToString('yyyy-MM-dd HH:mm:ss.fff zzz', [cultureinfo]::InvariantCulture)))
    }

    It 'draws latency in milliseconds on a milliseconds axis, and requests per second on their own chart' {
        $charts['Latency per interval (client)'] | Should -Match '>ms</text>'
        (Lines 'Latency per interval (client)').Name | Should -Be @('p50', 'p99')
        $html | Should -Not -Match '÷'
        (Lines 'Requests per second (client)').Name | Should -Be @('completed')
        $charts['Requests per second (client)'] | Should -Match '>requests/s</text>'
    }

    It 'draws in and out so both stay visible when they are equal' {
        $in, $out = Lines 'Server throughput'
        $in.Name | Should -Be 'in (received)'
        $out.Name | Should -Be 'out (sent)'
        $out.Style | Should -Match 'stroke-dasharray'
        $in.Style | Should -Not -Match 'stroke-dasharray'
        ($in.Style -replace '.*stroke="([^"]+)".*', '$1') | Should -Not -Be ($out.Style -replace '.*stroke="([^"]+)".*', '$1')
    }

    It 'needs no -Sample: a load result piped in makes a report without a prompt' {
        (Get-Command Export-NetpollReport).Parameters['Sample'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).Mandatory | Should -Not -Contain $true
        # In a runspace with no host to prompt, a mandatory parameter left out fails instead of waiting.
        $child = [powershell]::Create()
        $null = $child.AddScript("Import-Module '$manifest'; `$args[0] | Export-NetpollReport -Path '$(Join-Path $TestDrive 'piped')'").AddArgument($load)
        $written = $child.Invoke()
        $child.Streams.Error | Should -BeNullOrEmpty
        $written[0].Html | Should -Exist
        $child.Dispose()
    }

    It 'writes the header row of samples.csv and pollers.csv when only a load result is given' {
        $only = $load | Export-NetpollReport -Path (Join-Path $TestDrive 'load-only')
        foreach ($csv in @(@{ Path = $only.SamplesCsv; Like = $report.SamplesCsv }, @{ Path = $only.PollersCsv; Like = $report.PollersCsv })) {
            $lines = @(Get-Content $csv.Path)
            $lines | Should -HaveCount 1 -Because "$($csv.Path) is a table with its columns and no rows"
            $lines[0] | Should -Be (Get-Content $csv.Like -TotalCount 1) -Because 'the columns are those of Get-NetpollStats -Aggregate and Get-NetpollStats output'
            @(Import-Csv $csv.Path) | Should -HaveCount 0
        }
    }

    It 'writes nothing with -WhatIf' {
        $target = Join-Path $TestDrive 'whatif'
        $load | Export-NetpollReport -Path $target -WhatIf | Should -BeNullOrEmpty
        Test-Path $target | Should -BeFalse
    }
}
