#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# io_uring refused by the kernel (kernel.io_uring_disabled=2): servers and the load generator run on epoll and say why.
#
# The sysctl is machine-wide, so this suite needs root and must not run beside anything that sets up io_uring: the
# Pester suites run one after another, after the xunit projects (./test.sh). It keeps the refusal as short as it can:
# a fresh pwsh (whose process has not probed io_uring yet) turns the sysctl on just for the two Start-NetpollServer
# calls, the first of which probes io_uring once for the process, and puts it back in a finally; this suite puts it
# back too, in case the child dies in between.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:sysctl = '/proc/sys/kernel/io_uring_disabled'
    $script:refusable = $IsLinux -and (Test-Path -LiteralPath $sysctl) -and "$(id -u)".Trim() -eq '0'
}

Describe 'kernel.io_uring_disabled=2' {
    It 'runs -Backend Auto and -Backend IoUring servers and the load generator on epoll, and each says why' {
        if (-not $refusable) {
            Set-ItResult -Skipped -Because 'it sets kernel.io_uring_disabled, which needs Linux 6.6+ and root'
            return
        }

        $manifest = Get-RepositoryPath 'Netpoll.psd1'
        $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$sysctl = '$sysctl'
`$before = (Get-Content -Raw -LiteralPath `$sysctl).Trim()
# Set-Content writes nothing to /proc/sys (it says nothing either): write the file directly, and check it took.
[System.IO.File]::WriteAllText(`$sysctl, '2')
try {
    if ((Get-Content -Raw -LiteralPath `$sysctl).Trim() -ne '2') { throw "`$sysctl did not take the value 2" }
    `$auto = Start-NetpollServer -Name 'refused-auto' -Protocol Echo -Port 0 -Pollers 1
    `$uring = Start-NetpollServer -Name 'refused-uring' -Protocol Echo -Port 0 -Pollers 1 -Backend IoUring -WarningVariable warned -WarningAction SilentlyContinue
}
finally {
    [System.IO.File]::WriteAllText(`$sysctl, `$before)
}
`$load = `$uring | Invoke-NetpollLoad -Connections 2 -Requests 200 -MessageSize 64 -Backend IoUring -WarningVariable loadWarned -WarningAction SilentlyContinue
[pscustomobject]@{
    AutoBackend = "`$(`$auto.Backend)"; AutoReason = `$auto.BackendReason
    UringBackend = "`$(`$uring.Backend)"; UringReason = `$uring.BackendReason; Warning = "`$warned"
    UringReadCalls = (`$uring | Get-NetpollStats | Measure-Object ReadCalls -Sum).Sum
    Requests = `$load.Requests; Failed = `$load.RequestsFailed
    LoadBackend = "`$(`$load.Backend)"; LoadReason = `$load.BackendReason; LoadWarning = "`$loadWarned"
} | ConvertTo-Json -Compress
Get-NetpollServer | Stop-NetpollServer -Force
"@
        $before = (Get-Content -Raw -LiteralPath $sysctl).Trim()
        try {
            $run = Invoke-ChildPwsh -Command $child -TimeoutSeconds 120
        }
        finally {
            [System.IO.File]::WriteAllText($sysctl, $before)
        }

        (Get-Content -Raw -LiteralPath $sysctl).Trim() | Should -Be $before -Because 'the sysctl is put back'
        $run.ExitCode | Should -Be 0 -Because "$run"
        $seen = ($run.Stdout.Trim() -split "`n")[-1] | ConvertFrom-Json
        $seen.AutoBackend | Should -Be 'Epoll'
        $seen.AutoReason | Should -BeLike 'epoll: Auto, io_uring is unavailable (DisabledBySysctl: *kernel.io_uring_disabled=2*'
        $seen.UringBackend | Should -Be 'Epoll'
        $seen.UringReason | Should -BeLike 'epoll: io_uring was asked for but is unavailable (DisabledBySysctl: *io_uring_disabled=2*'
        $seen.Warning | Should -BeLike "Server 'refused-uring' runs on Epoll, not io_uring: epoll: io_uring was asked for*"
        $seen.UringReadCalls | Should -BeGreaterThan 0 -Because 'epoll reads with read(2); io_uring receives into its ring with none'
        # The generator asked for io_uring too: it falls back the same way, loads, and its result and warning say so.
        $seen.Requests | Should -Be 200
        $seen.Failed | Should -Be 0
        $seen.LoadBackend | Should -Be 'Epoll'
        $seen.LoadReason | Should -BeLike 'epoll: io_uring was asked for but is unavailable (DisabledBySysctl: *'
        $seen.LoadWarning | Should -BeLike 'The load generator ran on Epoll, not io_uring: epoll: io_uring was asked for*'
    }
}
