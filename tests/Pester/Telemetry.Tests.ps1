#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Turning telemetry on and off as an operator does, and what the console shows meanwhile.

BeforeAll {
    $script:manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
    Import-Module $manifest -Force
    $script:pwsh = Join-Path $PSHOME 'pwsh'
}

AfterAll {
    Disable-NetpollTelemetry
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'Enable-NetpollTelemetry and Disable-NetpollTelemetry' {
    It 'rejects an interval out of range at binding, saying the range' {
        { Enable-NetpollTelemetry -Interval 0.01 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Netpoll.PowerShell.EnableNetpollTelemetryCommand'
        try { Enable-NetpollTelemetry -Interval 0.01 -ErrorAction Stop } catch { $_.Exception.Message | Should -Match '0\.1 s up to 86400 s' }
        (Get-NetpollTelemetry).MetricsExporter | Should -Be 'None'
    }

    It 'returns the status with -PassThru on both' {
        $on = Enable-NetpollTelemetry -MetricsExporter Console -Interval 60 -PassThru
        $on.MetricsExporter | Should -Be 'Console'
        $off = Disable-NetpollTelemetry -PassThru
        $off | Should -BeOfType ([Netpoll.PowerShell.NetpollTelemetryStatus])
        $off.MetricsExporter | Should -Be 'None'
        $off.LogLevel | Should -Be 'None'
    }
}

Describe 'The console metrics export' {
    It 'prints one line per server per export, and nothing once the servers stop or on Disable' {
        $script = @"
Import-Module '$manifest'
Enable-NetpollTelemetry -MetricsExporter Console -Interval 0.5
`$a = Start-NetpollServer -Name export-a -Pollers 2
`$b = Start-NetpollServer -Name export-b -Pollers 1
`$null = `$a | Invoke-NetpollLoad -Connections 4 -Duration 2
'STOPPING'
Stop-NetpollServer -Name export-a, export-b
'STOPPED'
Start-Sleep -Seconds 1.5
Disable-NetpollTelemetry
'DONE'
"@
        $lines = @(& $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" })
        $stopped = [array]::IndexOf($lines, 'STOPPED')
        $stopped | Should -BeGreaterThan 0
        $lines[-1] | Should -Be 'DONE'

        $exports = @($lines[0..$stopped] | Where-Object { $_ -match '^\d\d:\d\d:\d\d netpoll export-a: ' })
        $exports.Count | Should -BeGreaterOrEqual 3 -Because 'an export every 0.5 s while the load runs'
        $exports.Count | Should -BeLessOrEqual 12 -Because 'one line per server per export, not one block per instrument and poller'
        $exports | Where-Object { $_ -match '4 connections \(0 paused\), 4 accepted.*; in [\d.]+ [KMG]iB \([\d.]+ [KMG]?i?B/s\)' } | Should -Not -BeNullOrEmpty
        ($lines | Where-Object { $_ -match '^\d\d:\d\d:\d\d netpoll ' }).Count | Should -BeLessOrEqual 40
        $lines | Where-Object { $_ -like 'Metric Name:*' -or $_ -like 'Resource associated*' } | Should -BeNullOrEmpty

        # Once the servers are gone an export has nothing to say, and Disable adds no empty block.
        $lines[($stopped + 1)..($lines.Count - 1)] | Should -Be @('DONE')
    }
}
