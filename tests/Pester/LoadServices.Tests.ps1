#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Invoke-NetpollLoad against services a user runs: HTTP requests they write, fixed-rate load, a text protocol
# (redis-server), thresholds, the histogram log, and -Isolated for each.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:http = Start-NetpollServer -Name 'pester-services-http' -Protocol Http -Port 0
    $script:echo = Start-NetpollServer -Name 'pester-services-echo' -Protocol Echo -Port 0
    $script:origin = "http://127.0.0.1:$($http.Port)"
    $script:scratch = (New-Item -ItemType Directory -Path ([System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "netpoll-services-$PID"))).FullName

    # A port nothing listens on now, for a server of the test's own to take.
    function script:Get-FreeLoopbackPort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $listener.LocalEndpoint.Port
        $listener.Stop()
    }

    # Waits (10 s at most, or until $Process exits) for something to accept on 127.0.0.1:$Port; says whether it does.
    function script:Wait-LoopbackListener([int] $Port, [System.Diagnostics.Process] $Process) {
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (-not ($up = Test-Connection -TargetName 127.0.0.1 -TcpPort $Port -Quiet -TimeoutSeconds 1) -and [DateTime]::UtcNow -lt $deadline -and -not $Process.HasExited) {
            Start-Sleep -Milliseconds 50
        }
        $up
    }

    # A redis-server of its own on a free port (with any more arguments), once it accepts: the process and the port.
    function script:Start-TestRedis($redis, [string[]] $more = @()) {
        $port = Get-FreeLoopbackPort
        $arguments = @('--port', $port, '--bind', '127.0.0.1', '--dir', $scratch, '--appendonly', 'no') + $more
        $process = Start-Process -FilePath $redis.Source -ArgumentList $arguments -PassThru -RedirectStandardOutput (Join-Path $scratch "redis-$port.log")
        $null = Wait-LoopbackListener $port $process
        $process, $port
    }
}

AfterAll {
    $http, $echo | Stop-NetpollServer -Force
    Remove-Item -LiteralPath $scratch -Recurse -Force
}

Describe 'HTTP requests a user writes' {
    It 'sends several -Uri by -Weight and counts each status code and class' {
        $r = Invoke-NetpollLoad -Uri "$origin/", "$origin/missing" -Weight 3, 1 -Connections 1 -Requests 400
        $r.Pattern | Should -Be 'Http'
        $r.StatusCodes[200] | Should -Be 300
        $r.StatusCodes[404] | Should -Be 100
        $r.Status4xx | Should -Be 100
        $r.ErrorRate | Should -Be 0.25
        $r.BytesSent | Should -Be (Get-NetpollStats -Name 'pester-services-http' -Aggregate).BytesIn
    }

    It 'sends -Method, -Header and -Body (text or a file)' {
        $body = Join-Path $scratch 'body.json'
        Set-Content -LiteralPath $body -Value '{"id":1}' -NoNewline
        $text = Invoke-NetpollLoad -Uri "$origin/" -Method POST -Header @{ 'Content-Type' = 'application/json' } -Body '{"id":1}' -Connections 1 -Requests 50
        $file = Invoke-NetpollLoad -Uri "$origin/" -Method POST -Header @{ 'Content-Type' = 'application/json' } -BodyFile $body -Connections 1 -Requests 50
        $text.StatusCodes[405] | Should -Be 50
        $file.StatusCodes[405] | Should -Be 50
        $file.BytesSent | Should -Be $text.BytesSent
    }

    It 'reads vegeta targets from -TargetFile' {
        $targets = Join-Path $scratch 'targets.txt'
        Set-Content -LiteralPath $targets -Value "GET $origin/`nX-Run: pester`n`nHEAD $origin/`n"
        $r = Invoke-NetpollLoad -TargetFile $targets -Connections 1 -Requests 100
        $r.StatusCodes[200] | Should -Be 100
        $r.Errors | Should -Be 0
    }

    It 'refuses a bad <Parameter> at binding, saying what is allowed' -ForEach @(
        @{ Parameter = 'Uri'; Arguments = @{ Uri = 'ftp://127.0.0.1/' } }
        @{ Parameter = 'Weight'; Arguments = @{ Uri = 'http://127.0.0.1:1/'; Weight = 0 } }
        @{ Parameter = 'Method'; Arguments = @{ Uri = 'http://127.0.0.1:1/'; Method = 'NOT A METHOD' } }
        @{ Parameter = 'Header'; Arguments = @{ Uri = 'http://127.0.0.1:1/'; Header = @{ 'Bad Name' = 'x' } } }
        @{ Parameter = 'Rate'; Arguments = @{ Target = '127.0.0.1:1'; Rate = -5 } }
        @{ Parameter = 'Stage'; Arguments = @{ Target = '127.0.0.1:1'; Stage = @{ Duration = '-1s'; Rate = 10 } } }
        @{ Parameter = 'Stage'; Arguments = @{ Target = '127.0.0.1:1'; Stage = @{ Duration = '1s'; Speed = 10 } } }
        @{ Parameter = 'Threshold'; Arguments = @{ Target = '127.0.0.1:1'; Threshold = @{ LatencyP98 = '5ms' } } }
        @{ Parameter = 'Threshold'; Arguments = @{ Target = '127.0.0.1:1'; Threshold = @{ ErrorRate = 'lots' } } }
        @{ Parameter = 'Payload'; Arguments = @{ Target = '127.0.0.1:1'; Payload = '' } }
        @{ Parameter = 'ResponseDelimiter'; Arguments = @{ Target = '127.0.0.1:1'; Payload = 'x'; ResponseDelimiter = '' } }
        @{ Parameter = 'ResponseSize'; Arguments = @{ Target = '127.0.0.1:1'; Payload = 'x'; ResponseSize = 0 } }
        @{ Parameter = 'HistogramPath'; Arguments = @{ Target = '127.0.0.1:1'; HistogramPath = '' } }
    ) {
        $failure = { Invoke-NetpollLoad @Arguments -Requests 1 } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Match '^(ParameterArgument|ParameterBinding)'
        $failure.Exception.Message | Should -Match $Parameter
    }
}

Describe 'Fixed-rate load' {
    It 'holds -Rate and reports the schedule, corrected latency and service time' {
        $r = Invoke-NetpollLoad -Uri "$origin/" -Rate 500 -Duration 1 -Connections 4
        $r.TargetRate | Should -Be 500
        $r.RequestsScheduled | Should -BeGreaterOrEqual 490
        $r.Requests + $r.RequestsFailed + $r.RequestsNotSent | Should -BeGreaterOrEqual ($r.RequestsScheduled - 10)
        $r.LatencyP99 | Should -BeGreaterOrEqual $r.ServiceTimeP50
        $r.ScheduleLagMaxMs | Should -Not -BeNullOrEmpty
    }

    It 'holds -Rate when every response closes its connection (Connection: close), with and without -Isolated' -TestCases @(
        @{ Isolated = $false }
        @{ Isolated = $true }
    ) {
        # A service with a short keep-alive: each request needs a new connection, and the schedule must not wait on them.
        $r = Invoke-NetpollLoad -Uri "$origin/" -Header @{ Connection = 'close' } -Rate 400 -Duration 1 -Connections 8 -Isolated:$Isolated
        $sent = $r.Requests + $r.RequestsFailed + $r.RequestsInFlightAtStop
        $r.RequestsScheduled | Should -BeIn (390..401)
        $sent + $r.RequestsNotSent | Should -BeIn (($r.RequestsScheduled - 2)..$r.RequestsScheduled) # the pacer's last 2 ms may go uncounted
        # Held: the fault (reopens waiting for a busy thread pool) sent 2-25 %; a busy CI machine may fall a little behind.
        $sent | Should -BeGreaterOrEqual ($r.RequestsScheduled * 2 / 3)
        $r.ConnectionsReopened | Should -BeGreaterOrEqual ($r.Requests - 8)
        $r.Errors | Should -Be 0
    }

    It 'ramps through -Stage hashtables' {
        $r = $echo | Invoke-NetpollLoad -Stage @{ Duration = '500ms'; Rate = 400 }, @{ Duration = 0.5; Rate = 400 } -Connections 4 -MessageSize 16
        $r.Stages.Count | Should -Be 2
        $r.RequestsScheduled | Should -BeIn (290..301)
    }

    It 'runs -Uri, -Rate and -Threshold in a separate process with -Isolated, and the result comes back whole' {
        $r = Invoke-NetpollLoad -Uri "$origin/", "$origin/missing" -Rate 400 -Duration 1 -Connections 2 -Threshold @{ Status5xx = 0 } -Isolated
        $r.Isolated | Should -BeTrue
        $r.TargetRate | Should -Be 400
        $r.StatusCodes[200] + $r.StatusCodes[404] | Should -Be $r.Requests
        $r.StatusCodes[404] | Should -BeGreaterThan 0
        $r.Thresholds[0].Passed | Should -BeTrue
        [Netpoll.Load.LoadResult]::Percentile($r.LatencyHistogram, 99) | Should -Be $r.LatencyP99
    }
}

Describe 'Any text protocol over TCP' {
    It 'frames -Payload replies by -ResponseSize' {
        $r = $echo | Invoke-NetpollLoad -Payload 'hello\r\n' -ResponseSize 7 -Connections 2 -Requests 1000 -Pipeline 4
        $r.Pattern | Should -Be 'Payload'
        $r.Requests | Should -Be 1000
        $r.BytesReceived | Should -Be 7000
    }

    It 'loads redis-server with RESP PING, here and -Isolated' {
        $redis = Get-Command redis-server -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $redis) {
            Set-ItResult -Skipped -Because 'redis-server is not installed (Debian: apt-get install redis-server)'
            return
        }

        $server, $port = Start-TestRedis $redis
        try {
            $here = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Payload '*1\r\n$4\r\nPING\r\n' -ResponseDelimiter '\r\n' -Connections 4 -Requests 2000
            $here.Requests | Should -Be 2000
            $here.Errors | Should -Be 0
            $here.BytesReceived | Should -Be (2000 * 7) # +PONG and CRLF
            $isolated = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Payload 'PING\r\n' -ResponseDelimiter '\r\n' -Connections 2 -Rate 500 -Duration 1 -Isolated
            $isolated.Errors | Should -Be 0
            $isolated.Requests | Should -BeGreaterThan 400
        }
        finally {
            Stop-Process -Id $server.Id -Force
        }
    }

    It 'backs off from a redis-server past its maxclients, which answers each new connection with an error and closes it' {
        $redis = Get-Command redis-server -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $redis) {
            Set-ItResult -Skipped -Because 'redis-server is not installed (Debian: apt-get install redis-server)'
            return
        }

        # Two clients allowed, four connections: two are served, and each connect of the other two reads
        # "-ERR max number of clients reached" as its PING's reply, then loses the next PING to the close.
        $server, $port = Start-TestRedis $redis '--maxclients', '2'
        try {
            $r = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Payload 'PING\r\n' -ResponseDelimiter '\r\n' -Connections 4 -Duration 2
            $r.Requests | Should -BeGreaterThan 100 -Because 'the two connections redis accepted are served'
            $r.Errors | Should -BeGreaterThan 0 -Because 'the PINGs lost to the refusals are counted'
            $r.ErrorsByKind.Reset + $r.ErrorsByKind.ClosedEarly | Should -Be $r.Errors
            # Refused connections back off (10 ms doubling to 1 s: at most 8 reconnects per slot in 2 s); they reconnected at once, thousands of times, before.
            $r.ConnectionsReopened | Should -BeLessOrEqual 20
        }
        finally {
            Stop-Process -Id $server.Id -Force
        }
    }
}

Describe 'A server that speaks first' {
    It 'reads an SMTP-style greeting (ncat) before the first -Payload request with -Greeting, so each reply is its own request''s, here and -Isolated' {
        $ncat = Get-Command ncat -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $ncat) {
            Set-ItResult -Skipped -Because 'ncat is not installed (Debian: apt-get install ncat)'
            return
        }

        # Greets each connection with 220, then answers each line with "250 ok" 30 ms later (a shell per connection).
        $port = Get-FreeLoopbackPort
        $smtp = Join-Path $scratch 'greeting-server.sh'
        Set-Content -LiteralPath $smtp -Value "#!/bin/sh`nprintf '220 ncat ready\r\n'`nwhile IFS= read -r line; do sleep 0.03; printf '250 ok\r\n'; done`n" -NoNewline
        chmod +x $smtp
        $server = Start-Process -FilePath $ncat.Source -ArgumentList '-l', '127.0.0.1', $port, '-k', '-e', $smtp -PassThru
        try {
            Wait-LoopbackListener $port $server | Should -BeTrue -Because "ncat listens on $port"
            foreach ($isolated in $false, $true) {
                $r = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Payload 'NOOP\r\n' -ResponseDelimiter '\r\n' -Greeting -Connections 2 -Requests 20 -Isolated:$isolated
                $r.Requests | Should -Be 20
                $r.Errors | Should -Be 0
                # Without -Greeting the 220 is the first NOOP's reply, at once: the fastest "reply" beats the server's 30 ms.
                [Netpoll.Load.LoadResult]::Percentile($r.LatencyHistogram, 0).TotalMilliseconds | Should -BeGreaterOrEqual 27
                $r.BytesReceived | Should -Be ($r.ConnectionsOpened * 16 + 20 * 8) # "220 ncat ready\r\n" per connection, "250 ok\r\n" per request
            }
        }
        finally {
            Stop-Process -Id $server.Id -Force
        }
    }

    It 'holds -Pattern Idle connections to a real sshd, which greets each with its banner, and counts the banners' {
        $sshd = if (Test-Path /usr/sbin/sshd) { '/usr/sbin/sshd' } else { (Get-Command sshd -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source }
        if (-not $sshd -or -not (Get-Command ssh-keygen -ErrorAction Ignore)) {
            Set-ItResult -Skipped -Because 'sshd is not installed (Debian: apt-get install openssh-server)'
            return
        }

        # A throwaway sshd in the foreground (-D) on a free loopback port with its own host key: it sends its banner
        # ("SSH-2.0-OpenSSH_...\r\n") on connect and waits 30 s for the client's. Idle took the banner for a reply to
        # nothing and closed every connection as a BadResponse.
        $dir = Join-Path $scratch 'sshd'
        $null = New-Item -ItemType Directory -Path $dir -Force
        $null = New-Item -ItemType Directory -Path /run/sshd -Force -ErrorAction SilentlyContinue # its privilege separation directory
        ssh-keygen -q -t ed25519 -N '' -f (Join-Path $dir 'host_key') 2>&1 | Out-Null
        $port = Get-FreeLoopbackPort
        "Port $port`nListenAddress 127.0.0.1`nHostKey $dir/host_key`nPidFile $dir/sshd.pid`nUsePAM no`nLoginGraceTime 30`n" | Set-Content (Join-Path $dir 'sshd_config')
        $server = Start-Process -FilePath $sshd -ArgumentList '-D', '-f', (Join-Path $dir 'sshd_config'), '-E', (Join-Path $dir 'sshd.log') -PassThru
        try {
            # sshd installed and failing to start is a failure, not a skip: its log says why.
            Wait-LoopbackListener $port $server | Should -BeTrue -Because "sshd listens on $port ($(Get-Content (Join-Path $dir 'sshd.log') -Raw -ErrorAction Ignore))"

            $r = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Pattern Idle -Connections 5 -Duration 1
            $r.Errors | Should -Be 0 -Because "the banners are no bad replies ($($r.ErrorsByKind.BadResponseDetails))"
            $r.ConnectionsOpened | Should -Be 5
            $r.Timeline[-1].ConnectionsOpen | Should -Be 5 -Because 'sshd holds an unauthenticated connection for its LoginGraceTime'
            $r.BytesReceived % 5 | Should -Be 0 -Because 'each connection got the same banner'
            $r.BytesReceived / 5 | Should -BeGreaterThan 'SSH-2.0-'.Length
        }
        finally {
            Stop-Process -Id $server.Id -Force -ErrorAction Ignore
        }
    }

    It 'refuses -Greeting without -Payload, saying so' {
        { $http | Invoke-NetpollLoad -Greeting -Requests 1 -ErrorAction Stop } | Should -Throw '*-Greeting*-Payload*'
    }
}

Describe 'A keep-alive close that races a request' {
    It 'retries the GETs nginx keepalive_requests 3 drops from -Pipeline 4, here and -Isolated; -NoRetry and POST keep them ClosedEarly' {
        $nginx = Get-Command nginx -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $nginx) {
            Set-ItResult -Skipped -Because 'nginx is not installed (Debian: apt-get install nginx-light)'
            return
        }

        # nginx closes each connection after its 3rd response: the 4th request pipelined behind it was sent and is never answered.
        $port = Get-FreeLoopbackPort
        $prefix = (New-Item -ItemType Directory -Path (Join-Path $scratch "nginx-$port")).FullName
        $null = New-Item -ItemType Directory -Path (Join-Path $prefix 'logs')
        Set-Content -LiteralPath (Join-Path $prefix 'nginx.conf') -Value @"
daemon off;
master_process off; # one process, so stopping it leaves no worker behind
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    keepalive_requests 3;
    server { listen 127.0.0.1:$port; location / { return 200 "ok"; } }
}
"@
        $server = Start-Process -FilePath $nginx.Source -ArgumentList '-p', $prefix, '-c', (Join-Path $prefix 'nginx.conf') -PassThru
        try {
            Wait-LoopbackListener $port $server | Should -BeTrue -Because "nginx listens on $port ($(Get-Content -Raw -LiteralPath (Join-Path $prefix 'logs/error.log') -ErrorAction Ignore))"
            $uri = "http://127.0.0.1:$port/"
            foreach ($r in (Invoke-NetpollLoad -Uri $uri -Connections 2 -Requests 200 -Pipeline 4), (Invoke-NetpollLoad -Uri $uri -Connections 2 -Requests 200 -Pipeline 4 -Isolated)) {
                $r.Requests | Should -Be 200 -Because "every GET is answered ($($r.ErrorsByKind))"
                $r.RequestsFailed | Should -Be 0
                $r.RequestsRetried | Should -BeGreaterThan 0
                ($r | Format-List | Out-String) | Should -Match "$($r.RequestsRetried) retried"
            }

            $r | Export-Clixml (Join-Path $prefix 'result.xml')
            (Import-Clixml (Join-Path $prefix 'result.xml')).RequestsRetried | Should -Be $r.RequestsRetried

            foreach ($r in (Invoke-NetpollLoad -Uri $uri -Connections 2 -Requests 200 -Pipeline 4 -NoRetry), (Invoke-NetpollLoad -Uri $uri -Method POST -Connections 2 -Requests 200 -Pipeline 4)) {
                $r.RequestsRetried | Should -Be 0
                $r.ErrorsByKind.ClosedEarly | Should -BeGreaterThan 0
                $r.Requests + $r.RequestsFailed | Should -Be 200
            }
        }
        finally {
            if (-not $server.HasExited) {
                Stop-Process -Id $server.Id -Force
                $server.WaitForExit()
            }
        }
    }
}

Describe 'A host name with several addresses: localhost is 127.0.0.1, then ::1' {
    BeforeAll {
        $script:v6 = Start-NetpollServer -Name 'pester-services-v6' -Protocol Http -Address '::1' -Port 0
        $script:v6echo = Start-NetpollServer -Name 'pester-services-v6-echo' -Protocol Echo -Address '::1' -Port 0
    }

    AfterAll {
        $v6, $v6echo | Stop-NetpollServer -Force
    }

    It 'loads a server that listens on ::1 only through http://localhost, here and -Isolated, as curl and wrk do' {
        $here = Invoke-NetpollLoad -Uri "http://localhost:$($v6.Port)/" -Connections 2 -Requests 200
        $here.StatusCodes[200] | Should -Be 200
        $here.ConnectFailures | Should -Be 0 -Because '127.0.0.1 refused, and the connect went on to ::1'
        $here.Target | Should -Be "[::1]:$($v6.Port)" -Because 'the result names the address the run used'
        $isolated = Invoke-NetpollLoad -Uri "http://localhost:$($v6.Port)/" -Connections 2 -Requests 200 -Isolated
        $isolated.StatusCodes[200] | Should -Be 200
        $isolated.Target | Should -Be "[::1]:$($v6.Port)"
        [Netpoll.Load.Contracts.LoadTarget]::ResolveAll("localhost:$($v6.Port)") | ForEach-Object ToString |
            Should -Be "127.0.0.1:$($v6.Port)", "[::1]:$($v6.Port)"
    }

    It 'loads -Payload over TCP at localhost on ::1 only' {
        $r = Invoke-NetpollLoad -Target "localhost:$($v6echo.Port)" -Payload 'ping\n' -ResponseSize 5 -Connections 2 -Requests 100
        $r.Requests | Should -Be 100
        $r.Errors | Should -Be 0
    }

    It 'counts a name none of whose addresses listens as refused and stops at once, not after -Duration' {
        $gone = Start-NetpollServer -Name 'pester-services-gone' -Protocol Http -Port 0
        $port = $gone.Port
        $gone | Stop-NetpollServer
        $r = Invoke-NetpollLoad -Uri "http://localhost:$port/" -Connections 3 -Duration 60 -ErrorAction SilentlyContinue -ErrorVariable failed
        $r.StopReason | Should -Be 'NoConnections'
        $r.ConnectFailures | Should -Be 3 -Because 'each connect tried 127.0.0.1 and ::1, and counts once'
        "$($r.ErrorsByKind)" | Should -Be 'Refused=3'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetpollLoadFailed,*'
    }
}

Describe 'Requests in flight when a run stops' {
    It 'counts requests a slow server has not answered by the end as in flight at the stop, not failed, here and -Isolated' {
        $slow = Start-NetpollServer -Name 'pester-services-slow' -Protocol Http -Port 0 -Route @{ 'GET /slow' = @{ Body = 'late'; Delay = 30 } }
        try {
            foreach ($isolated in $false, $true) {
                $r = Invoke-NetpollLoad -Uri "http://127.0.0.1:$($slow.Port)/slow" -Connections 3 -Pipeline 2 -Duration 1 -ResponseTimeout 60 -Isolated:$isolated -ErrorAction SilentlyContinue -ErrorVariable failed
                $failed[0].Exception.Message | Should -Match '6 were still waiting for their reply when the run stopped' -Because 'none completed: the error says why'
                $r.StopReason | Should -Be 'Duration'
                $r.Requests | Should -Be 0
                $r.RequestsFailed | Should -Be 0
                $r.RequestsInFlightAtStop | Should -Be 6
                $r.Errors | Should -Be 0
                ($r | Format-List | Out-String) | Should -Match '0 failed, 6 in flight at the stop'
            }
        }
        finally { $slow | Stop-NetpollServer -Force }
    }
}

Describe 'Results for CI' {
    It 'makes a failed threshold a terminating error that names it with -FailOnThreshold, and a warning without' {
        $failure = { Invoke-NetpollLoad -Uri "$origin/missing" -Connections 1 -Requests 20 -Threshold @{ Status4xx = 0; LatencyP99 = '10s' } -FailOnThreshold } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Match '^NetpollLoadThresholdFailed'
        $failure.Exception.Message | Should -Match 'Status4xx <= 0: 20'
        $failure.Exception.Message | Should -Not -Match 'LatencyP99'
        $global:NetpollLastLoadResult.ThresholdsPassed | Should -BeFalse

        $r = Invoke-NetpollLoad -Uri "$origin/missing" -Connections 1 -Requests 20 -Threshold @{ Status4xx = 0 } -WarningVariable warned -WarningAction SilentlyContinue
        $r.Thresholds[0].Passed | Should -BeFalse
        "$warned" | Should -Match 'Status4xx'
    }

    It 'writes the interval log with -HistogramPath and keeps percentiles through CliXml' {
        $log = Join-Path $scratch 'latency.hlog'
        $r = Invoke-NetpollLoad -Uri "$origin/" -Rate 200 -Duration 1.2 -Connections 2 -HistogramPath $log
        $r.HistogramPath | Should -Be $log
        $lines = Get-Content -LiteralPath $log
        $lines[0] | Should -Be '#[Histogram log format version 1.3]'
        @($lines | Where-Object { $_ -match '^\d+\.\d+,\d+\.\d+,\d+\.\d+,HISTF' }).Count | Should -BeGreaterOrEqual 2
        @($lines | Where-Object { $_ -match '^Tag=service-time,' }).Count | Should -BeGreaterOrEqual 2

        $xml = Join-Path $scratch 'result.xml'
        $r | Export-Clixml -LiteralPath $xml
        $back = Import-Clixml -LiteralPath $xml
        [Netpoll.Load.LoadResult]::Percentile($back.LatencyHistogram, 99) | Should -Be $r.LatencyP99
        [Netpoll.Load.LoadResult]::Percentile($back.ServiceTimeHistogram, 50) | Should -Be $r.ServiceTimeP50
    }
}
