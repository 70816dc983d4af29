#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# An example to copy: a client under test behind a flaky network. The proxy adds 200 ms of latency to
# every answer and resets 1 % of connections; the test asserts what a user relies on.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    # The service under test would be yours; an echo server stands in for it here.
    $script:service = Start-NetpollServer -Name 'example-service' -Protocol Echo -Port 0
    $script:flaky = Start-NetpollProxy -Name 'example-flaky' -Upstream $service.EndPoint
    Add-NetpollToxic $flaky -Type Latency -Latency 200ms | Out-Null
    Add-NetpollToxic $flaky -Type ResetPeer -Stream Upstream -Toxicity 0.01 | Out-Null
}

AfterAll {
    $flaky | Stop-NetpollProxy
    $service | Stop-NetpollServer -Force
}

Describe 'A client behind a network with 200 ms of latency that resets 1 % of connections' {
    BeforeAll {
        # 1000 connections: at 1 %, the chance that none is reset is 0.99^1000, about 4 in 100 000.
        $script:result = $flaky | Invoke-NetpollLoad -Connections 1000 -Duration 3 -MessageSize 64
    }

    It 'waits at least the added latency for a typical answer' {
        $result.LatencyP50Ms | Should -BeGreaterOrEqual 200
    }

    It 'sees some connections reset, and the proxy counted them' {
        $result.ErrorsByKind.Reset | Should -BeGreaterThan 0
        $flaky.Closed.ToxicResetPeer | Should -BeGreaterThan 0
        (Get-NetpollToxic $flaky reset_peer_upstream).Applied | Should -Be $flaky.Closed.ToxicResetPeer
    }

    It 'is served on every other connection, and replaces each reset one as wrk does' {
        $result.ConnectionsOpened | Should -Be (1000 + $result.ConnectionsReopened)
        $result.ConnectionsReopened | Should -BeGreaterThan 0
        $result.ConnectionsReopened | Should -BeLessOrEqual $result.Errors
        $result.Errors | Should -BeLessThan 100
        # Every connection that was not reset completed round trips.
        $result.Requests | Should -BeGreaterOrEqual (1000 - $result.Errors)
    }
}
