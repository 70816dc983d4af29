#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# A service's SLO checked in CI: the example the README points to. A real pipeline starts its own service (a
# container, a staging URL); here the module's Http server stands in for it.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:service = Start-NetpollServer -Name 'pester-slo' -Protocol Http -Port 0
    $script:uri = "http://127.0.0.1:$($service.Port)/"

    # The SLO: at 500 requests per second, p99 under 250 ms, under 0.1 % errors, and the schedule kept.
    $script:slo = @{ LatencyP99 = '250ms'; ErrorRate = '0.1%'; RequestsPerSecond = '>=450' }
}

AfterAll {
    $service | Stop-NetpollServer -Force
}

Describe 'The service meets its SLO' {
    It 'holds p99, error rate and throughput at 500 requests per second' {
        # -FailOnThreshold: a failed threshold is a terminating error naming it, which fails this test and the CI step.
        $result = Invoke-NetpollLoad -Uri $uri -Rate 500 -Duration 2 -Connections 16 -Threshold $slo -FailOnThreshold
        $result.ThresholdsPassed | Should -BeTrue
        $result.Thresholds | ForEach-Object { "$_" } | Should -HaveCount 3   # e.g. "LatencyP99 <= 250ms: 0.41ms, passed"
    }

    It 'fails the step when an endpoint breaks its SLO, naming the threshold' {
        # /nothing-here answers 404: every request counts against the error rate.
        { Invoke-NetpollLoad -Uri "${uri}nothing-here" -Rate 200 -Duration 0.5 -Connections 4 -Threshold $slo -FailOnThreshold } |
            Should -Throw -ErrorId 'NetpollLoadThresholdFailed*' -ExpectedMessage '*ErrorRate <= 0.1%: 100%, failed*'
    }
}
