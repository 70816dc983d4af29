#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# A user's CI suite for the Netpoll module: start on port 0, use, stop, and leave nothing behind.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:server = Start-NetpollServer -Name 'pester-echo' -Protocol Echo -Port 0 -Pollers 2
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'Start-NetpollServer' {
    It 'returns at once with the real port' {
        $server.Port | Should -BeGreaterThan 0
        $server.State | Should -Be 'Serving'
        $server.Address | Should -Be '127.0.0.1'
        $server.EndPoint | Should -Be "127.0.0.1:$($server.Port)"
        $server.Pollers | Should -Be 2
        $server.Protocol | Should -Be 'Echo'
    }

    It 'serves HTTP on the real port, found by name, wildcard and id' {
        $web = Start-NetpollServer -Name 'pester-web' -Protocol Http -Port 0
        try {
            (Get-NetpollServer -Name 'pester-w*').Id | Should -Be $web.Id
            (Get-NetpollServer -Id $web.Id).Name | Should -Be 'pester-web'
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $web.Port)
            try {
                $stream = $client.GetStream()
                $stream.ReadTimeout = 10000
                $request = [System.Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.1`r`nHost: x`r`n`r`n")
                $stream.Write($request, 0, $request.Length)
                $buffer = [byte[]]::new(256)
                $read = $stream.Read($buffer, 0, $buffer.Length)
                [System.Text.Encoding]::ASCII.GetString($buffer, 0, $read) | Should -BeLike 'HTTP/1.1 200 OK*'
            }
            finally { $client.Dispose() }
        }
        finally { $web | Stop-NetpollServer }
    }

    It 'runs a built-in protocol <Expected> with <Dispatch> and serves in that mode' -ForEach @(
        @{ Dispatch = '(default Auto)'; Arguments = @{}; Expected = 'Inline' }   # the built-in protocols never block
        @{ Dispatch = '-Dispatch Auto'; Arguments = @{ Dispatch = 'Auto' }; Expected = 'Inline' }
        @{ Dispatch = '-Dispatch ThreadPool'; Arguments = @{ Dispatch = 'ThreadPool' }; Expected = 'ThreadPool' }
        @{ Dispatch = '-Dispatch Inline'; Arguments = @{ Dispatch = 'Inline' }; Expected = 'Inline' }
    ) {
        $dispatched = Start-NetpollServer -Name 'pester-dispatch' -Protocol Echo -Port 0 @Arguments
        try {
            $dispatched.Dispatch | Should -Be $Expected
            (Get-NetpollServer -Name 'pester-dispatch').Dispatch | Should -Be $Expected
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $dispatched.Port)
            try { (Invoke-TcpRoundTrip -Client $client -Count 5).Length | Should -Be 5 }
            finally { $client.Dispose() }
            $result = $dispatched | Invoke-NetpollLoad -Connections 4 -Requests 200 -MessageSize 64
            $result.Requests | Should -Be 200
            $result.Errors | Should -Be 0
        }
        finally { $dispatched | Stop-NetpollServer }
    }

    It 'serves on -Backend <Backend>, and the server says which backend runs and why' -ForEach @(
        @{ Backend = 'Epoll' }
        @{ Backend = 'IoUring' }
    ) {
        $on = Start-NetpollServer -Name 'pester-backend' -Protocol Echo -Port 0 -Backend $Backend -WarningVariable warned -WarningAction SilentlyContinue
        try {
            if ($Backend -eq 'IoUring' -and $on.Backend -ne 'IoUring') {
                # Refused on this machine (a seccomp profile, kernel.io_uring_disabled, an old kernel): epoll serves instead.
                $on.Backend | Should -Be 'Epoll'
                $on.BackendReason | Should -BeLike 'epoll: io_uring was asked for but is unavailable*'
                "$warned" | Should -BeLike "*runs on Epoll, not io_uring*"
            }
            else {
                $on.Backend | Should -Be $Backend
                $on.BackendReason | Should -BeLike '*asked for*'
                $warned | Should -BeNullOrEmpty
            }

            $result = $on | Invoke-NetpollLoad -Connections 4 -Requests 200 -MessageSize 64 -Backend $Backend
            $result.Requests | Should -Be 200
            $result.Errors | Should -Be 0
        }
        finally { $on | Stop-NetpollServer }
    }

    It 'picks the backend with Auto by default and says why' {
        $server.Backend | Should -BeIn @('Epoll', 'IoUring', 'Kqueue')
        $server.BackendReason | Should -BeLike '*Auto*'
    }

    It 'refuses a backend this OS lacks with NetpollBackendNotSupported and starts nothing' {
        $missing = if ($IsLinux) { 'Kqueue' } else { 'IoUring' }
        $before = @(Get-NetpollServer).Count
        $thrown = { Start-NetpollServer -Name 'pester-nobackend' -Port 0 -Backend $missing -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollBackendNotSupported,*' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'NotImplemented'
        $thrown.Exception.Message | Should -BeLike "*$missing*"
        @(Get-NetpollServer).Count | Should -Be $before
    }

    It 'serves on a Unix socket path and removes it when stopped' {
        $path = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "np-$([guid]::NewGuid().ToString('N')).sock")
        $unix = Start-NetpollServer -Name 'pester-unix' -UnixSocket $path
        $unix.EndPoint | Should -Be "unix:$path"
        $socket = [System.Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
        try {
            $socket.ReceiveTimeout = 10000
            $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            $null = $socket.Send([byte[]](104, 105))
            $socket.Receive([byte[]]::new(2)) | Should -Be 2
        }
        finally { $socket.Dispose() }
        Stop-NetpollServer -Name 'pester-unix'
        Test-Path -LiteralPath $path | Should -BeFalse
    }

    It 'refuses a port in use with NetpollPortInUse, saying to use -Port 0' {
        $before = @(Get-NetpollServer).Count
        $thrown = { Start-NetpollServer -Name 'pester-dup' -Port $server.Port -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollPortInUse,Netpoll.PowerShell.StartNetpollServerCommand' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $thrown.Exception.Message | Should -BeLike '*-Port 0*'
        @(Get-NetpollServer).Count | Should -Be $before
    }

    It 'refuses a name in use with NetpollServerNameInUse' {
        $thrown = { Start-NetpollServer -Name 'pester-echo' -Port 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollServerNameInUse,*' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'rejects <Command> at parameter binding, naming -<Parameter>' -ForEach @(
        @{ Command = 'Start-NetpollServer -Port 70000'; Parameter = 'Port' }
        @{ Command = 'Start-NetpollServer -Pollers 0'; Parameter = 'Pollers' }
        @{ Command = 'Start-NetpollServer -Protocol Gopher'; Parameter = 'Protocol' }
        @{ Command = 'Start-NetpollServer -Dispatch Sometimes'; Parameter = 'Dispatch' }
        @{ Command = 'Start-NetpollServer -Backend Select'; Parameter = 'Backend' }
        @{ Command = 'Invoke-NetpollLoad -Target 127.0.0.1:1 -Backend Select'; Parameter = 'Backend' }
        @{ Command = 'Start-NetpollServer -IdleTimeout -5'; Parameter = 'IdleTimeout' }
        @{ Command = "Start-NetpollServer -Name 'bad name!'"; Parameter = 'Name' }
        @{ Command = 'Invoke-NetpollLoad -Target 127.0.0.1:1 -Connections 0'; Parameter = 'Connections' }
        @{ Command = 'Invoke-NetpollLoad -Target 127.0.0.1:1 -Pattern Flood'; Parameter = 'Pattern' }
        @{ Command = 'Get-NetpollStats -Count 0'; Parameter = 'Count' }
    ) {
        $before = @(Get-NetpollServer).Count
        $thrown = { Invoke-Expression $Command } | Should -Throw -PassThru
        $thrown.Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
        $thrown.Exception.Message | Should -BeLike "*$Parameter*"
        @(Get-NetpollServer).Count | Should -Be $before
    }

    It 'starts nothing with -WhatIf' {
        Start-NetpollServer -Name 'pester-ghost' -WhatIf | Should -BeNullOrEmpty
        Get-NetpollServer -Name 'pester-ghost' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Get-NetpollServer and Stop-NetpollServer' {
    It 'finds servers by wildcard' {
        (Get-NetpollServer -Name 'pester-*').Name | Should -Contain 'pester-echo'
    }

    It 'stops what Get-NetpollServer pipes in and passes the stopped servers on' {
        $null = Start-NetpollServer -Name 'pester-temp-a' -Port 0
        $null = Start-NetpollServer -Name 'pester-temp-b' -Protocol Discard -Port 0
        $stopped = Get-NetpollServer -Name 'pester-temp-*' | Stop-NetpollServer -PassThru -ErrorVariable problems
        @($stopped).Count | Should -Be 2
        $stopped.State | Should -Be @('Stopped', 'Stopped')
        $problems | Should -BeNullOrEmpty
        Get-NetpollServer -Name 'pester-temp-*' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'stops by property name from custom objects' {
        $null = Start-NetpollServer -Name 'pester-byname' -Port 0
        [pscustomobject]@{ Name = 'pester-byname' } | Stop-NetpollServer
        Get-NetpollServer -Name 'pester-byname' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        Stop-NetpollServer -Name 'pester-echo' -WhatIf
        (Get-NetpollServer -Name 'pester-echo').State | Should -Be 'Serving'
    }

    It 'reports a missing server as a non-terminating NetpollServerNotFound error and carries on' {
        $output = . { Stop-NetpollServer -Name 'pester-nope' -ErrorVariable problems -ErrorAction SilentlyContinue; 'still running' }
        $output | Should -Be 'still running'
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'NetpollServerNotFound,Netpoll.PowerShell.StopNetpollServerCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].Exception.Message | Should -BeLike '*pester-nope*'
    }
}
