#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# A service manager stops pwsh with SIGTERM: the module stops its servers before the process ends.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force

    # Serves on a Unix socket and TCP, says where, then waits to be stopped.
    $script:serve = @'
param([string] $Manifest, [string] $SocketPath)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$null = Start-NetpollServer -Name 'sigterm-unix' -UnixSocket $SocketPath
$tcp = Start-NetpollServer -Name 'sigterm-tcp' -Port 0
"READY $($tcp.Port)"
while ($true) { Start-Sleep -Milliseconds 100 }
'@
}

Describe 'SIGTERM' -Skip:$IsWindows {
    It 'stops every server cleanly before pwsh exits' {
        $script = Join-Path $TestDrive 'serve.ps1'
        Set-Content -LiteralPath $script -Value $serve
        $socketPath = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "np-sigterm-$([guid]::NewGuid().ToString('N')).sock")
        $dotnet, $pwsh = Get-PwshCommandLine
        $startInfo = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
        foreach ($argument in $pwsh, '-NoProfile', '-NonInteractive', '-File', $script, '-Manifest', (Get-RepositoryPath 'Netpoll.psd1'), '-SocketPath', $socketPath) {
            $startInfo.ArgumentList.Add($argument)
        }
        $startInfo.RedirectStandardOutput = $true
        $startInfo.RedirectStandardError = $true
        $startInfo.UseShellExecute = $false
        $startInfo.Environment['NO_COLOR'] = '1'
        $process = [System.Diagnostics.Process]::Start($startInfo)
        try {
            $errors = $process.StandardError.ReadToEndAsync()
            $ready = $process.StandardOutput.ReadLineAsync()
            if (-not $ready.Wait(60000) -or $ready.Result -notmatch '^READY \d+$') {
                $process.Kill($true) # its stderr ends with it: the reason it never got ready
                $null = $errors.Wait(10000)
                throw "The child pwsh did not serve within 60 s: $($ready.Result) $($errors.Result)"
            }
            $port = [int]($ready.Result -split ' ')[1]
            Test-Path -LiteralPath $socketPath | Should -BeTrue

            kill -TERM $process.Id
            $process.WaitForExit(30000) | Should -BeTrue -Because 'pwsh ends within 30 s of SIGTERM'

            # Only a server that was stopped removes its socket file; a process that merely died leaves it behind.
            Test-Path -LiteralPath $socketPath | Should -BeFalse
            { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port).Dispose() } | Should -Throw
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
            Remove-Item -LiteralPath $socketPath -ErrorAction Ignore
        }
    }
}
