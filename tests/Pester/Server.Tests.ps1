#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# A user's CI suite for the Netpoll module: start on port 0, use, stop, and leave nothing behind.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
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
        $server.EndPoint | Should -Be "127.0.0.1:$($server.Port)"
    }

    It 'runs the built-in protocol inline by default and on the ThreadPool when asked' {
        $server.Dispatch | Should -Be 'Inline'
        $pooled = Start-NetpollServer -Name 'pester-pooled' -Protocol Echo -Port 0 -Dispatch ThreadPool
        try {
            $pooled.Dispatch | Should -Be 'ThreadPool'
            $result = $pooled | Invoke-NetpollLoad -Connections 4 -Requests 200 -MessageSize 64
            $result.Requests | Should -Be 200
            $result.Errors | Should -Be 0
        }
        finally {
            $pooled | Stop-NetpollServer
        }
    }

    It 'refuses a port in use with NetpollPortInUse' {
        { Start-NetpollServer -Name 'pester-dup' -Port $server.Port -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollPortInUse,Netpoll.PowerShell.StartNetpollServerCommand'
    }

    It 'rejects bad parameters at binding' {
        { Start-NetpollServer -Port 70000 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Netpoll.PowerShell.StartNetpollServerCommand'
        { Start-NetpollServer -Protocol Gopher } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,Netpoll.PowerShell.StartNetpollServerCommand'
    }

    It 'starts nothing with -WhatIf' {
        Start-NetpollServer -Name 'pester-ghost' -WhatIf
        Get-NetpollServer -Name 'pester-ghost' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Get-NetpollServer and Stop-NetpollServer' {
    It 'finds servers by wildcard' {
        (Get-NetpollServer -Name 'pester-*').Name | Should -Contain 'pester-echo'
    }

    It 'stops what Get-NetpollServer pipes in' {
        Start-NetpollServer -Name 'pester-temp' | Out-Null
        Get-NetpollServer -Name 'pester-temp' | Stop-NetpollServer
        Get-NetpollServer -Name 'pester-temp' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports a missing server as a non-terminating NetpollServerNotFound error' {
        Stop-NetpollServer -Name 'pester-nope' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NetpollServerNotFound,*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
