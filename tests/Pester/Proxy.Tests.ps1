#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# A fault-injecting proxy from a user's CI: start it in front of a service on port 0, change its toxics
# while connections are open, watch its stats, stop it, and leave nothing behind.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:service = Start-NetpollServer -Name 'pester-proxied' -Protocol Echo -Port 0
    $script:proxy = Start-NetpollProxy -Name 'pester-proxy' -Upstream $service.EndPoint -Pollers 1

    function script:Measure-RoundTrip([int] $Port) {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port)
        try {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            (Invoke-TcpRoundTrip -Client $client -Count 16).Length | Should -Be 16
            $clock.Elapsed.TotalMilliseconds
        }
        finally { $client.Dispose() }
    }
}

AfterAll {
    Get-NetpollProxy | Stop-NetpollProxy
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollProxy).Count | Should -Be 0
}

Describe 'Start-, Get-, Stop-NetpollProxy' {
    It 'returns at once with the real port and forwards to the upstream' {
        $proxy.Port | Should -BeGreaterThan 0
        $proxy.EndPoint | Should -Be "127.0.0.1:$($proxy.Port)"
        $proxy.Upstream | Should -Be $service.EndPoint
        $proxy.State | Should -Be 'Running'
        Measure-RoundTrip $proxy.Port | Should -BeGreaterThan 0
        $proxy.Accepted | Should -BeGreaterOrEqual 1
    }

    It 'runs on the backend -Backend names, and says which runs and why' {
        $onEpoll = Start-NetpollProxy -Name 'pester-epoll' -Upstream $service.EndPoint -Backend Epoll -Pollers 1
        try {
            $onEpoll.Backend | Should -Be 'Epoll'
            $onEpoll.BackendReason | Should -Not -BeNullOrEmpty
            Measure-RoundTrip $onEpoll.Port | Should -BeGreaterThan 0
        }
        finally { $onEpoll | Stop-NetpollProxy }
        $proxy.Backend | Should -BeIn @('Epoll', 'IoUring', 'Kqueue')
        $proxy.BackendReason | Should -Not -BeNullOrEmpty
        { Start-NetpollProxy -Upstream $service.EndPoint -Backend Sideways } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,Netpoll.PowerShell.StartNetpollProxyCommand' -ExpectedMessage '*Epoll*IoUring*'
    }

    It 'is found by name, wildcard and id, and stopped from the pipeline, which frees its port' {
        $other = Start-NetpollProxy -Name 'pester-other' -Upstream $service.EndPoint
        (Get-NetpollProxy -Name 'pester-oth*').Id | Should -Be $other.Id
        (Get-NetpollProxy -Id $other.Id).Name | Should -Be 'pester-other'
        $stopped = Get-NetpollProxy 'pester-other' | Stop-NetpollProxy -PassThru
        $stopped.State | Should -Be 'Stopped'
        Get-NetpollProxy 'pester-other' -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'NetpollProxyNotFound*'
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $other.Port)
        try { $listener.Start() } finally { $listener.Stop() }
    }

    It 'refuses a name a server or proxy has, non-terminating' {
        Start-NetpollProxy -Name 'pester-proxied' -Upstream $service.EndPoint -ErrorAction SilentlyContinue -ErrorVariable taken
        $taken[0].FullyQualifiedErrorId | Should -BeLike 'NetpollProxyNameInUse*'
    }

    It 'names a server started without -Name past the names proxies have' {
        $taken = @(Get-NetpollServer).Name + @(Get-NetpollProxy).Name
        $next = 1..1000 | ForEach-Object { "netpoll-$_" } | Where-Object { $_ -notin $taken } | Select-Object -First 1
        $squatter = Start-NetpollProxy -Name $next -Upstream $service.EndPoint
        try {
            $web = Start-NetpollServer -Protocol Echo -Port 0 -ErrorAction Stop
            try { $web.Name | Should -Not -Be $next } finally { $web | Stop-NetpollServer }
        }
        finally { $squatter | Stop-NetpollProxy }
    }

    It 'rejects an upstream that is not host:port at binding, saying what is allowed' {
        { Start-NetpollProxy -Upstream 'just-a-host' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -ExpectedMessage '*host:port*unix:*'
        { Start-NetpollProxy -Upstream '127.0.0.1:70000' } | Should -Throw -ExpectedMessage '*not a port from 1 to 65535*'
        { Start-NetpollProxy -Upstream '::1:8080' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -ExpectedMessage '*write IPv6 as `[::1`]:port*'
        { Start-NetpollProxy -Upstream '[::1]' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -ExpectedMessage '*has no port*write IPv6 as `[::1`]:port*'
        { Start-NetpollProxy -Upstream 'http://127.0.0.1:8080' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -ExpectedMessage '*is a URL*host and port alone*'
    }

    It 'says when the upstream host does not resolve' {
        # A 64-character label is not a DNS name: the resolver fails it locally instead of asking the machine's
        # name server (a .invalid name would still be sent off loopback as a query).
        $unresolvable = ('a' * 64) + '.invalid'
        Start-NetpollProxy -Upstream "$($unresolvable):80" -ErrorAction SilentlyContinue -ErrorVariable unresolved
        $unresolved[0].FullyQualifiedErrorId | Should -BeLike 'NetpollUpstreamNotResolved*'
    }

    It 'closes the client with a counted cause when the upstream refuses' {
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
        $dead = Start-NetpollProxy -Name 'pester-dead' -Upstream "127.0.0.1:$port"
        try {
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $dead.Port)
            try {
                $stream = $client.GetStream(); $stream.ReadTimeout = 10000
                $stream.Read([byte[]]::new(1), 0, 1) | Should -Be 0
            }
            finally { $client.Dispose() }
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ($dead.Closed.UpstreamRefused -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $dead.Closed.UpstreamRefused | Should -Be 1
        }
        finally { $dead | Stop-NetpollProxy }
    }
}

Describe 'Toxics on a live proxy' {
    AfterEach {
        Get-NetpollToxic -Proxy $proxy | Remove-NetpollToxic
    }

    It 'adds latency, changes it and removes it, measured by a client' {
        $added = Add-NetpollToxic -Proxy 'pester-proxy' -Type Latency -Latency 300ms
        $added.Name | Should -Be 'latency_downstream'
        $added.Attributes | Should -Be 'latency=300ms jitter=0ms'
        Measure-RoundTrip $proxy.Port | Should -BeGreaterOrEqual 299

        Set-NetpollToxic $proxy latency_downstream -Latency 600ms
        Measure-RoundTrip $proxy.Port | Should -BeGreaterOrEqual 599
        (Get-NetpollToxic $proxy latency_downstream).Applied | Should -Be 2

        Get-NetpollToxic $proxy | Set-NetpollToxic -Type Latency -Latency 1ms -PassThru | ForEach-Object Attributes | Should -Be 'latency=1ms jitter=0ms'
    }

    It 'exports a proxy to CSV with its toxics readable, not as a type name' {
        Add-NetpollToxic $proxy -Type Latency -Latency 120 | Out-Null
        Add-NetpollToxic $proxy -Type Timeout -Timeout 50 -Stream Upstream | Out-Null
        $path = Join-Path $TestDrive 'proxy.csv'
        Get-NetpollProxy -Name 'pester-proxy' | Export-Csv -Path $path
        $row = Import-Csv -Path $path
        $row.Toxics | Should -Be ((Get-NetpollToxic $proxy | ForEach-Object ToString) -join '; ')
        $row.Toxics | Should -Match '^latency_downstream \(latency downstream.*; timeout_upstream \(timeout upstream'
        Get-Content -Raw $path | Should -Not -Match 'z__ReadOnly|System\.Collections'
    }

    It 'reads a bare number as toxiproxy does: milliseconds for latency, jitter, timeout and slow_close, microseconds for the slicer' {
        (Add-NetpollToxic $proxy -Type Timeout -Timeout 50 -Stream Upstream).Attributes | Should -Be 'timeout=50ms'
        (Add-NetpollToxic $proxy -Type Latency -Latency 120 -Jitter 2.5).Attributes | Should -Be 'latency=120ms jitter=2.5ms'
        (Add-NetpollToxic $proxy -Type SlowClose -Delay '40' -Stream Upstream).Attributes | Should -Be 'delay=40ms'
        (Add-NetpollToxic $proxy -Type ResetPeer -Timeout 70).Attributes | Should -Be 'timeout=70ms'
        (Add-NetpollToxic $proxy -Type Slicer -AverageSize 8 -Delay 250).Attributes | Should -Be 'average_size=8 size_variation=0 delay=250us'
        (Set-NetpollToxic $proxy latency_downstream -Latency 300 -PassThru).Attributes | Should -Be 'latency=300ms jitter=2.5ms'
        # Units still say it outright; PowerShell's own suffixes (3s is a [short], 250us a [ushort]) mean those units too.
        (Set-NetpollToxic $proxy latency_downstream -Latency 3s -Jitter '0.5s' -PassThru).Attributes | Should -Be 'latency=3000ms jitter=500ms'
        (Set-NetpollToxic $proxy latency_downstream -Latency 250us -Jitter 00:00:00.2 -PassThru).Attributes | Should -Be 'latency=0.25ms jitter=200ms'
        # Unquoted, 1.5s reaches the cmdlet as the [short] 2: the fraction is read back from the statement as written.
        (Set-NetpollToxic $proxy latency_downstream -Latency 1.5s -Jitter 0.5s -PassThru).Attributes | Should -Be 'latency=1500ms jitter=500ms'
        (Set-NetpollToxic $proxy latency_downstream -Lat:2.5s -PassThru).Attributes | Should -Be 'latency=2500ms jitter=500ms'
        { Add-NetpollToxic $proxy -Name late -Type Latency -Latency -5 } | Should -Throw -ExpectedMessage '*milliseconds (50, 2.5)*'
    }

    It 'reads an unquoted 1.5s back for its own parameter only, never for another parameter' {
        $dial = 2s # the [short] 2: through a variable it stays 2 s
        $units = Start-NetpollProxy -Name 'pester-units' -Upstream $service.EndPoint -Pollers 1 -DialTimeout $dial -IdleTimeout 1.5s
        try {
            $units.DialTimeout | Should -Be ([TimeSpan]::FromSeconds(2)) # not the 1.5s given to -IdleTimeout
        }
        finally {
            $units | Stop-NetpollProxy
        }

        $units = Start-NetpollProxy -Name 'pester-units' -Upstream $service.EndPoint -Pollers 1 -DialTimeout 1.5s
        try {
            $units.DialTimeout | Should -Be ([TimeSpan]::FromSeconds(1.5))
        }
        finally {
            $units | Stop-NetpollProxy
        }
    }

    It 'offers only the attributes of the type and checks their ranges at binding' {
        { Add-NetpollToxic $proxy -Type Latency -Rate 100 } | Should -Throw -ErrorId 'NamedParameterNotFound*'
        { Add-NetpollToxic $proxy -Type Bandwidth -Rate 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Add-NetpollToxic $proxy -Type Latency -Latency 1ms -Toxicity 1.5 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Add-NetpollToxic $proxy -Type Latency -Latency 'soon' } | Should -Throw -ExpectedMessage '*200ms*'
        { Add-NetpollToxic 'no-such-proxy' -Type Down } | Should -Throw -ExpectedMessage "*No Netpoll proxy is named 'no-such-proxy'*pester-proxy*"
        $attributes = (Get-Command Add-NetpollToxic -ArgumentList $proxy, 'Slicer').Parameters.Keys
        $attributes | Should -Contain 'AverageSize'
        $attributes | Should -Not -Contain 'Latency'
        @(Get-NetpollToxic $proxy).Count | Should -Be 0
    }

    It 'refuses what only the whole toxic shows wrong, non-terminating, and adds nothing' {
        Add-NetpollToxic $proxy -Type Slicer -AverageSize 10 -SizeVariation 10 -ErrorAction SilentlyContinue -ErrorVariable slicer
        $slicer[0].FullyQualifiedErrorId | Should -BeLike 'NetpollToxicRejected*'
        $slicer[0].Exception.Message | Should -BeLike '*SizeVariation must be between 0 and 9*'
        Add-NetpollToxic $proxy -Type LimitData -Bytes 10 | Out-Null
        Add-NetpollToxic $proxy -Type LimitData -Bytes 20 -ErrorAction SilentlyContinue -ErrorVariable twice
        $twice[0].FullyQualifiedErrorId | Should -BeLike 'NetpollToxicRejected*'
        (Get-NetpollToxic $proxy).Attributes | Should -Be 'bytes=10'
        Set-NetpollToxic $proxy limit_data_downstream -Type Latency -ErrorAction SilentlyContinue -ErrorVariable retyped
        $retyped[0].FullyQualifiedErrorId | Should -BeLike 'NetpollToxicRejected*'
        Remove-NetpollToxic $proxy 'nothing-here' -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'NetpollToxicNotFound*'
    }

    It 'changes nothing with -WhatIf' {
        Add-NetpollToxic $proxy -Type Timeout -WhatIf
        @(Get-NetpollToxic $proxy).Count | Should -Be 0
    }

    It 'takes a proxy down and up again on the same port' {
        Add-NetpollToxic $proxy -Type Down | Out-Null
        $proxy.State | Should -Be 'Down'
        { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $proxy.Port) } | Should -Throw '*refused*'
        Remove-NetpollToxic $proxy down
        $proxy.State | Should -Be 'Running'
        Measure-RoundTrip $proxy.Port | Should -BeGreaterThan 0
    }
}

Describe 'Get-NetpollStats with a proxy' {
    It 'shows the proxy''s pollers like a server''s, once: both sides share them' {
        Measure-RoundTrip $proxy.Port | Out-Null
        $rows = @(Get-NetpollStats -Name 'pester-proxy')
        $rows.ServerName | Should -Be @('pester-proxy')
        ($rows | Where-Object ServerName -eq 'pester-proxy').Accepted | Should -BeGreaterOrEqual 1
        ($rows | Measure-Object BytesIn -Sum).Sum | Should -BeGreaterThan 0
        $piped = @($proxy | Get-NetpollStats -Aggregate)
        $piped.Count | Should -Be 1
        $piped[0].Pollers | Should -Be 1
        @(Get-NetpollStats).ServerName | Should -Contain 'pester-proxied'
    }
}
