#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What a CI script gets back from Invoke-NetpollLoad: honest results it can assert on, export and send on.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:echo = Start-NetpollServer -Name 'pester-lr-echo' -Protocol Echo -Port 0
    $script:http = Start-NetpollServer -Name 'pester-lr-http' -Protocol Http -Port 0
    $script:discard = Start-NetpollServer -Name 'pester-lr-discard' -Protocol Discard -Port 0
    $closed = Start-NetpollServer -Name 'pester-lr-closed' -Port 0
    $script:closedPort = $closed.Port
    Stop-NetpollServer -Name 'pester-lr-closed'
    $script:measured = $echo | Invoke-NetpollLoad -Connections 4 -Requests 2000 -MessageSize 128
    $script:refused = Invoke-NetpollLoad -Target "127.0.0.1:$closedPort" -Connections 3 -Duration 5 -ErrorAction SilentlyContinue
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'Invoke-NetpollLoad results that do not lie' {
    It 'takes the pattern from a piped server''s protocol' {
        $web = $http | Invoke-NetpollLoad -Connections 4 -Requests 500
        $web.Pattern | Should -Be 'Http'
        $web.Requests | Should -Be 500
        $web.Errors | Should -Be 0
        $measured.Pattern | Should -Be 'PingPong'
        ($echo | Invoke-NetpollLoad -Connections 2 -Requests 200 -Pipeline 4).Pattern | Should -Be 'Pipelined'
    }

    It 'refuses a pattern the piped server cannot answer, and a Discard server unless -Pattern Idle' {
        $discard | Invoke-NetpollLoad -Requests 10 -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NetpollPatternMismatch,*'
        $problems[0].Exception.Message | Should -Match '-Pattern Idle'
        $http | Invoke-NetpollLoad -Pattern PingPong -Requests 10 -ErrorVariable mismatch -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $mismatch[0].FullyQualifiedErrorId | Should -BeLike 'NetpollPatternMismatch,*'
        ($discard | Invoke-NetpollLoad -Pattern Idle -Connections 3 -Duration 0.5).ConnectionsOpened | Should -Be 3
    }

    It 'ends a -Requests run against a server that never replies, with response timeouts and no latency' {
        $result = Invoke-NetpollLoad -Target $discard.EndPoint -Requests 6 -Connections 3 -ResponseTimeout 0.5 -ErrorVariable failed -ErrorAction SilentlyContinue
        $result.Requests | Should -Be 0
        $result.RequestsFailed | Should -Be 6 -Because 'each timed-out connection is replaced, so every request of the budget is tried'
        $result.ErrorsByKind.ResponseTimeout | Should -Be 6
        $result.StopReason | Should -Be 'Requests'
        $result.LatencyP99 | Should -BeNullOrEmpty
        $result.LatencyP99Ms | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetpollLoadFailed,*'
        $failed[0].Exception.Message | Should -Match 'no reply within 0\.5 s'
    }

    It 'raises NetpollLoadFailed under -ErrorAction Stop when nothing listens, counting refused connections by name' {
        { Invoke-NetpollLoad -Target "127.0.0.1:$closedPort" -Connections 3 -Duration 5 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollLoadFailed,Netpoll.PowerShell.InvokeNetpollLoadCommand'
        $refused.ErrorsByKind.Refused | Should -Be 3
        $refused.ErrorsByKind.Other | Should -Be 0
    }

    It 'fails a latency assertion when no latency was measured, instead of passing on zero' {
        $refused.LatencyP99Ms | Should -BeNullOrEmpty
        { $refused.LatencyP99Ms | Should -BeGreaterThan 0 } | Should -Throw
        $measured.LatencyP99Ms | Should -BeGreaterThan 0
    }
}

Describe 'A LoadResult scripts can use' {
    It 'has millisecond numbers beside the TimeSpans' {
        $measured.LatencyP99Ms | Should -BeOfType [double]
        $measured.LatencyP99Ms | Should -Be $measured.LatencyP99.TotalMilliseconds
        $measured.LatencyP50Ms | Should -BeLessOrEqual $measured.LatencyP99Ms
        $measured.ElapsedSeconds | Should -Be $measured.Elapsed.TotalSeconds
    }

    It 'reads errors as plain properties' {
        $refused.ErrorsByKind.Refused | Should -Be 3
        $measured.ErrorsByKind.Refused | Should -Be 0
        "$($refused.ErrorsByKind)" | Should -Be 'Refused=3'
    }

    It 'exports to CSV as numbers and readable cells' {
        $path = Join-Path $TestDrive 'results.csv'
        $measured, $refused | Export-Csv -Path $path
        $rows = Import-Csv -Path $path
        [double]$rows[0].LatencyP99Ms | Should -BeGreaterThan 0
        $rows[1].LatencyP99Ms | Should -Be ''
        $rows[1].ErrorsByKind | Should -Be 'Refused=3'
        $rows[0].Timeline | Should -Match '^\d+ samples over'
        $rows[1].AddressFailures | Should -Match "^127\.0\.0\.1:$closedPort`: Refused \(.*Connection refused \(errno \d+\)"
        $rows[0].AddressFailures | Should -Be ''
        Get-Content -Raw $path | Should -Not -Match 'System\.Collections|z__ReadOnly|\[\]'
    }

    It 'exports its lists to CSV as their items: thresholds, stages, nodes and error details' {
        $paced = $http | Invoke-NetpollLoad -Connections 2 -Stage @{ Duration = '500ms'; Rate = 100 } -Threshold @{ ErrorRate = '1%' } -Tag 'node-a'
        $merged = $paced, ($http | Invoke-NetpollLoad -Connections 2 -Requests 20 -Tag 'node-b') | Merge-NetpollLoadResult
        # HTTP against an echo server: the echo of the request is no status line, and the reason is kept in BadResponseDetails.
        $bad = Invoke-NetpollLoad -Uri "http://$($echo.EndPoint)/" -Connections 1 -Requests 3 -ErrorAction SilentlyContinue
        $path = Join-Path $TestDrive 'lists.csv'
        $paced, $merged | Export-Csv -Path $path
        $rows = Import-Csv -Path $path
        $rows[0].Thresholds | Should -Match '^ErrorRate <= 1%: 0%, passed$'
        $rows[0].Stages | Should -Be '0.5 s to 100/s'
        $rows[1].Nodes | Should -Be 'node-a; node-b'
        $bad.ErrorsByKind | Export-Csv -Path (Join-Path $TestDrive 'errors.csv')
        $errors = Import-Csv -Path (Join-Path $TestDrive 'errors.csv')
        $errors.BadResponse | Should -BeGreaterThan 0
        $errors.BadResponseDetails | Should -Match 'HTTP'
        $errors.OtherDetails | Should -Be ''
        Get-Content -Raw $path, (Join-Path $TestDrive 'errors.csv') | Should -Not -Match 'System\.Collections|z__ReadOnly|\[\]'
    }

    It 'converts to JSON with its status codes, keyed by the code''s text, and a merged result at -Depth 5' {
        # ConvertTo-Json takes only string keys: with the codes as numbers, a CI step saving its result as JSON failed.
        $web = $http | Invoke-NetpollLoad -Connections 2 -Requests 100
        $json = $web | ConvertTo-Json | ConvertFrom-Json
        $json.StatusCodes.PSObject.Properties.Name | Should -Be ($web.StatusCodes.Keys | ForEach-Object ToString)
        ($json.StatusCodes.PSObject.Properties.Value | Measure-Object -Sum).Sum | Should -Be 100
        $merged = $web, ($http | Invoke-NetpollLoad -Connections 2 -Requests 50) | Merge-NetpollLoadResult
        $deep = $merged | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        ($deep.StatusCodes.PSObject.Properties.Value | Measure-Object -Sum).Sum | Should -Be 150
        $deep.Nodes.Count | Should -Be 2
        ($deep.Nodes[1].StatusCodes.PSObject.Properties.Value | Measure-Object -Sum).Sum | Should -Be 50
        $deep.Nodes[0].LatencyHistogram | Should -Be $web.LatencyHistogram
    }

    It 'reads a status code by number or by text, live and after CliXml' {
        $web = $http | Invoke-NetpollLoad -Connections 2 -Requests 40
        $code = @($web.StatusCodes.Keys)[0]
        $web.StatusCodes[$code] | Should -Be 40
        $web.StatusCodes["$code"] | Should -Be 40
        $web.StatusCodes."$code" | Should -Be 40
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($web))
        $copy.StatusCodes["$code"] | Should -Be 40
        ($copy | Merge-NetpollLoadResult).StatusCodes[$code] | Should -Be 40
    }

    It 'converts to JSON with millisecond numbers and named errors' {
        $json = $refused, $measured | ConvertTo-Json -Depth 3 | ConvertFrom-Json
        $json[0].ErrorsByKind.Refused | Should -Be 3
        $json[1].LatencyP99Ms | Should -BeGreaterThan 0
        $json[0].LatencyP99Ms | Should -BeNullOrEmpty
    }

    It 'has a table view and a list view' {
        $views = (Get-FormatData -TypeName Netpoll.Load.LoadResult).FormatViewDefinition
        $controls = $views | ForEach-Object { $_.Control.GetType().Name }
        $controls | Should -Contain 'TableControl'
        $controls | Should -Contain 'ListControl'
        $table = $measured, $refused | Format-Table | Out-String
        $table | Should -Match 'P99 ms'
        $table | Should -Not -Match 'ConnectionsRequested'
        $measured | Format-List | Out-String | Should -Match 'Latency\s+: p50'
        $refused | Format-List | Out-String | Should -Match 'none measured'
    }

    It 'says its throughput counts both directions, sent plus received, as its number does' {
        # wrk's Transfer/sec counts only what it read: a reader comparing the two must see which this is.
        $both = ($measured.BytesSent + $measured.BytesReceived) / $measured.ElapsedSeconds
        $measured.ThroughputBytesPerSecond | Should -BeGreaterThan (0.999 * $both)
        $measured.ThroughputBytesPerSecond | Should -BeLessThan (1.001 * $both)
        $measured | Format-List | Out-String | Should -Match 'Throughput\s+: [\d.]+ \w+/s \([\d.]+ \w+/s sent \+ [\d.]+ \w+/s received\)'
    }

    It 'shows in its list what the run had: rate and schedule lag, service time, status codes, thresholds, tag' {
        $paced = $http | Invoke-NetpollLoad -Connections 2 -Rate 200 -Duration 1 -Tag 'node-a' -Threshold @{ ErrorRate = '1%' }
        $list = $paced | Format-List | Out-String
        $list | Should -Match 'Tag\s+: node-a'
        $list | Should -Match 'Rate\s+: target 200/s, \d+ scheduled, \d+ not sent; schedule lag max'
        $list | Should -Match 'Service time\s+: p50'
        $list | Should -Match 'Status codes\s+: 200=\d+'
        $list | Should -Match 'Thresholds\s+: ErrorRate <= 1%: 0%, passed'
        $other = $http | Invoke-NetpollLoad -Connections 2 -Rate 200 -Duration 1 -Tag 'node-b'
        $paced, $other | Merge-NetpollLoadResult | Format-List | Out-String | Should -Match 'Nodes\s+: 2 merged: node-a, node-b'
        $plain = $measured | Format-List | Out-String
        $plain | Should -Not -Match 'Rate\s+: target|Service time|Status codes|Thresholds|Tag\s+:'
    }

    It 'is the type its help and metadata name' {
        (Get-Command Invoke-NetpollLoad).OutputType.Name | Should -Be 'Netpoll.Load.LoadResult'
        (Get-Help Invoke-NetpollLoad).returnValues.returnValue.type.name | Should -Be 'Netpoll.Load.LoadResult'
        $measured.PSObject.TypeNames[0] | Should -Be 'Netpoll.Load.LoadResult'
    }

    It 'survives CliXml serialization whole, as remoting sends it' {
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($refused))
        $copy.ErrorsByKind.Refused | Should -Be 3
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($measured))
        $copy.LatencyP99Ms | Should -Be $measured.LatencyP99Ms
        $copy.LatencyP99 | Should -Be $measured.LatencyP99
        $copy.Timeline.Count | Should -Be $measured.Timeline.Count
        $copy.Timeline[-1].Requests | Should -Be $measured.Timeline[-1].Requests
        $copy.StartTime.UtcTicks | Should -Be $measured.StartTime.UtcTicks
        [Netpoll.Polling.PollerBackendKind] $copy.Backend | Should -Be $measured.Backend # an enum crosses as its number, as Pattern does
        $copy.BackendReason | Should -Be $measured.BackendReason
    }
}

Describe 'Invoke-NetpollLoad out of file descriptors' -Skip:(-not $IsLinux) {
    It 'names the per-process limit (EMFILE, errno 24) in its words, not the system-wide one''s' {
        # A child pwsh with 256 fds opens 400 connections to its own server. strerror(24) is "Too many open files";
        # "Too many open files in system" is ENFILE's (23), which .NET's TooManyOpenSockets text says for both.
        $script = Join-Path $TestDrive 'emfile.ps1'
        Set-Content -LiteralPath $script -Value @'
param([string] $Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$server = Start-NetpollServer -Name 'emfile' -Port 0
$r = $server | Invoke-NetpollLoad -Connections 400 -Duration 1 -ErrorAction SilentlyContinue
"KIND $($r.ErrorsByKind.TooManyOpenFiles)"
"FAILURES $($r.AddressFailures)"
Stop-NetpollServer -Name 'emfile' -Force
'@
        $dotnet, $pwsh = Get-PwshCommandLine
        $run = Invoke-BoundedProcess -FilePath 'bash' -ArgumentList '-c', 'ulimit -n 256 && exec "$0" "$@"', $dotnet, $pwsh, '-NoProfile', '-NonInteractive', '-File', $script, '-Manifest', (Get-RepositoryPath 'Netpoll.psd1') -TimeoutSeconds 120
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
        [long](($run.Stdout -split "`n" | Where-Object { $_ -like 'KIND *' }) -replace '^KIND ') | Should -BeGreaterThan 0
        $failures = ($run.Stdout -split "`n" | Where-Object { $_ -like 'FAILURES *' })
        $failures | Should -Match 'TooManyOpenFiles \(.*Too many open files \(errno 24\)'
        $failures | Should -Not -Match 'in system'
    }
}

Describe 'Invoke-NetpollLoad in pipelines' {
    It 'binds -Target by property name from an EndPoint property' {
        $result = [pscustomobject]@{ Name = 'somewhere'; EndPoint = $echo.EndPoint } | Invoke-NetpollLoad -Connections 2 -Requests 50
        $result.Requests | Should -Be 50
        $result.Target | Should -Be $echo.EndPoint
        (Get-NetpollServer -Name 'pester-lr-echo' | Select-Object Name, EndPoint | Invoke-NetpollLoad -Connections 2 -Requests 20).Requests | Should -Be 20
    }

    It 'names the object parameter -InputObject, with -Server kept as an alias, on Load, Stats and Stop' {
        foreach ($command in 'Invoke-NetpollLoad', 'Get-NetpollStats', 'Stop-NetpollServer') {
            $parameter = (Get-Command $command).Parameters['InputObject']
            $parameter | Should -Not -BeNullOrEmpty -Because "$command takes -InputObject"
            $parameter.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipeline | Should -Contain $true
        }
        (Get-Command Invoke-NetpollLoad).Parameters['InputObject'].Aliases | Should -Contain 'Server'
        (Get-Command Get-NetpollStats).Parameters['InputObject'].Aliases | Should -Contain 'Server'
        (Invoke-NetpollLoad -InputObject $echo -Connections 1 -Requests 10).Requests | Should -Be 10
        (Invoke-NetpollLoad -Server $echo -Connections 1 -Requests 10).Requests | Should -Be 10
    }

    It 'resolves a DNS name once, before the run' {
        $name = [System.Net.Dns]::GetHostName()
        $address = [System.Net.Dns]::GetHostAddresses($name) | Where-Object AddressFamily -eq 'InterNetwork' | Select-Object -First 1
        $server = Start-NetpollServer -Name 'pester-lr-dns' -Address $address -Port 0
        $result = Invoke-NetpollLoad -Target "$($name):$($server.Port)" -Connections 2 -Requests 50
        $result.Requests | Should -Be 50
        $result.Target | Should -Be "$($address):$($server.Port)"
    }

    It 'reports a name that does not resolve as NetpollInvalidTarget before anything runs' {
        # A 64-character label is not a DNS name: the resolver fails it locally instead of asking the machine's
        # name server (a .invalid name would still be sent off loopback as a query).
        $unresolvable = ('a' * 64) + '.invalid'
        Invoke-NetpollLoad -Target "$($unresolvable):80" -Requests 1 -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NetpollInvalidTarget,*'
        $problems[0].Exception.Message | Should -Match 'could not be resolved'
    }
}
