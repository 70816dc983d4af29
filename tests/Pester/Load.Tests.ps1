#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Load a server, assert on its stats, stop it: the scenario a CI pipeline runs.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'Invoke-NetpollLoad' {
    BeforeEach {
        $script:echo = Start-NetpollServer -Name 'pester-load' -Protocol Echo -Port 0 -Pollers 2
    }

    AfterEach {
        $echo | Stop-NetpollServer -Force
    }

    It 'completes the requested echo round trips from the pipeline and the server counted the same bytes' {
        $result = $echo | Invoke-NetpollLoad -Connections 50 -Requests 20000 -MessageSize 512
        $result.Requests | Should -Be 20000
        $result.Errors | Should -Be 0
        $result.StopReason | Should -Be 'Requests'
        $result.Isolated | Should -BeFalse
        $result.LatencyP99 | Should -BeGreaterOrEqual $result.LatencyP50

        $stats = Get-NetpollStats -Name 'pester-load' -Aggregate
        $stats.BytesIn | Should -Be $result.BytesSent
        $stats.Accepted | Should -Be 50
    }

    It 'drives the Http protocol from a separate process with -Isolated' {
        $http = Start-NetpollServer -Name 'pester-http' -Protocol Http -Port 0
        try {
            $result = Invoke-NetpollLoad -Target "127.0.0.1:$($http.Port)" -Pattern Http -Pipeline 4 -Connections 8 -Requests 5000 -Isolated -Backend Epoll
            $result.Isolated | Should -BeTrue
            $result.Backend | Should -Be 'Epoll' -Because 'what the worker ran on comes back with its result'
            $result.BackendReason | Should -Be 'epoll: asked for.'
            $result.Requests | Should -Be 5000
            $result.Pattern | Should -Be 'Http'
            $result.ConnectionsOpened | Should -Be 8
            (Get-NetpollStats -Name 'pester-http' -Aggregate).Accepted | Should -Be 8
        }
        finally { $http | Stop-NetpollServer }
    }

    It 'takes -Duration as seconds or as a TimeSpan' {
        $seconds = Invoke-NetpollLoad -Target "127.0.0.1:$($echo.Port)" -Connections 2 -Duration 0.5
        $seconds.StopReason | Should -Be 'Duration'
        $seconds.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.4
        $seconds.Elapsed.TotalSeconds | Should -BeLessThan 5
        $span = Invoke-NetpollLoad -Target "127.0.0.1:$($echo.Port)" -Connections 2 -Duration '00:00:00.5'
        $span.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.4
        $span.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'classifies refused connections' {
        $closed = Start-NetpollServer -Name 'pester-closed' -Port 0
        $port = $closed.Port
        Stop-NetpollServer -Name 'pester-closed'
        $result = Invoke-NetpollLoad -Target "127.0.0.1:$port" -Connections 3 -Duration 5 -ErrorVariable failed -ErrorAction SilentlyContinue
        $result.ConnectFailures | Should -Be 3
        $result.ErrorsByKind.Refused | Should -Be 3
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetpollLoadFailed,*' # nothing was measured
    }

    It 'names every address of a name it tried, with each one''s failure, when no connection opened' {
        $closed = Start-NetpollServer -Name 'pester-closed-name' -Port 0
        $port = $closed.Port
        Stop-NetpollServer -Name 'pester-closed-name'
        $result = Invoke-NetpollLoad -Target "localhost:$port" -Connections 2 -Duration 5 -ErrorVariable failed -ErrorAction SilentlyContinue
        $result.ErrorsByKind.Refused | Should -Be 2
        $result.AddressFailures | Should -HaveCount 2
        $failed[0].Exception.Message | Should -Match "No connection to 127\.0\.0\.1:$port opened: 2 of 2 failed\. Tried 127\.0\.0\.1:$($port): Refused \(.+\); \[::1\]:$($port): Refused \(.+\)\."
    }

    It 'refuses a target that is not host:port with NetpollInvalidTarget' {
        $thrown = { Invoke-NetpollLoad -Target 'not a target' -Requests 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollInvalidTarget,*' -PassThru
        $thrown.Exception.Message | Should -BeLike '*host:port*'
    }
}

Describe 'Invoke-NetpollLoad -ConnectTimeout' {
    BeforeAll {
        # An address that neither accepts nor refuses, as a firewalled host: a listener with a one-place queue that a
        # connect of its own fills and that never accepts, so Linux drops every later SYN.
        $script:silent = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
        $silent.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $silent.Listen(0)
        $script:filler = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
        $filler.Connect($silent.LocalEndPoint)
        $script:silentTarget = $silent.LocalEndPoint.ToString()
    }

    AfterAll {
        $filler.Dispose()
        $silent.Dispose()
    }

    It 'fails a connect that gets no answer after -ConnectTimeout as a ConnectTimeout (-Isolated: <isolated>)' -ForEach @(
        @{ Isolated = $false }, @{ Isolated = $true }
    ) {
        $result = Invoke-NetpollLoad -Target $silentTarget -Connections 2 -Duration 60 -ConnectTimeout 300ms -Isolated:$Isolated -ErrorVariable failed -ErrorAction SilentlyContinue
        $result.Isolated | Should -Be $Isolated
        $result.ConnectFailures | Should -Be 2
        $result.ErrorsByKind.ConnectTimeout | Should -Be 2
        $result.StopReason | Should -Be 'NoConnections'
        $result.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'the default connect timeout (10 s) did not apply'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetpollLoadFailed,*'
    }

    It 'bounds the TLS handshake after the connect too, as its own cause (-Isolated: <isolated>)' -ForEach @(
        @{ Isolated = $false }, @{ Isolated = $true }
    ) {
        # TCP connects (the kernel accepts into the queue), and the handshake gets no answer.
        $stalled = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
        try {
            $stalled.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
            $stalled.Listen(16)
            $uri = "https://127.0.0.1:$($stalled.LocalEndPoint.Port)/"
            $result = Invoke-NetpollLoad -Uri $uri -SkipCertificateCheck -Connections 2 -Duration 60 -ConnectTimeout 300ms -Isolated:$Isolated -ErrorVariable failed -ErrorAction SilentlyContinue
            $result.ErrorsByKind.TlsHandshakeTimeout | Should -Be 2
            $result.ErrorsByKind.ConnectTimeout | Should -Be 0
            $result.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'the default handshake timeout (10 s) did not apply'
            $failed[0].Exception.Message | Should -Match 'TlsHandshakeTimeout'
        }
        finally { $stalled.Dispose() }
    }

    It 'takes seconds, a number with a unit, or a TimeSpan, also one that crossed remoting' {
        $crossed = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize([timespan]::FromMilliseconds(300)))
        foreach ($timeout in 0.3, '0.3', '300ms', '00:00:00.3', $crossed) {
            $result = Invoke-NetpollLoad -Target $silentTarget -Connections 1 -Duration 60 -ConnectTimeout $timeout -ErrorAction SilentlyContinue
            $result.ErrorsByKind.ConnectTimeout | Should -Be 1 -Because "-ConnectTimeout $timeout"
            $result.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because "-ConnectTimeout $timeout is 0.3 s"
        }
    }

    It 'refuses at binding a timeout that is zero, negative, over a day or not a duration, saying what is allowed' {
        foreach ($bad in 0, -1, 86401, '1.00:00:01', 'soon') {
            $thrown = { Invoke-NetpollLoad -Target 127.0.0.1:9 -Requests 1 -ConnectTimeout $bad } | Should -Throw -PassThru -Because "-ConnectTimeout $bad"
            $thrown.FullyQualifiedErrorId | Should -Match '^ParameterArgument(Validation|Transformation)Error,' -Because "-ConnectTimeout $bad"
            $thrown.Exception.Message | Should -Match '0\.001 s up to 86400 s|not a duration' -Because "-ConnectTimeout $bad"
        }
    }
    It 'refuses an unquoted 2d, which PowerShell reads as the [decimal] 2, as it refuses a quoted 2d: days are no unit, and 2 seconds is not what was asked' {
        # PowerShell's own suffixes make 2d a [decimal], 5l a [long], 3u a [uint], 1y an [sbyte] before any parameter sees them.
        $thrown = { Invoke-NetpollLoad -Target 127.0.0.1:9 -Requests 1 -ConnectTimeout 2d } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -Match '^ParameterArgumentTransformationError,'
        $thrown.Exception.Message | Should -Match "'2d' is not a duration"
        { Invoke-NetpollLoad -Target 127.0.0.1:9 -Requests 1 -ResponseTimeout 5l } | Should -Throw -ExpectedMessage "*'5l' is not a duration*"
        { Start-NetpollServer -Name 'pester-2d' -Port 0 -IdleTimeout 3u } | Should -Throw -ExpectedMessage "*'3u' is not a duration*"
        Get-NetpollServer -Name 'pester-2d' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # Through a variable nothing says how it was written: a [decimal] is a bare number of seconds, as an [int] is.
        $d = 2d
        $result = Invoke-NetpollLoad -Target 127.0.0.1:9 -Connections 1 -Duration 1 -ConnectTimeout $d -ErrorAction SilentlyContinue
        $result.ErrorsByKind.Refused | Should -Be 1
    }
}
