<#
.SYNOPSIS
    States what a scriptblock route costs: requests per second and per server CPU-second for GET / answered by
    the built-in Http handler, a static -Route, and a scriptblock -Route, side by side in one run.
.DESCRIPTION
    Starts each server in this pwsh process (one poller, Inline dispatch as Auto picks for HTTP) and loads it
    with Invoke-NetpollLoad -Isolated (the out-of-process generator, so this process's CPU time is the server's,
    runspace pool included), -Connections keep-alive connections for -Seconds, alternating the three kinds
    -Repetitions times so drift on a shared machine hits them alike. Every answer is the same 13-byte text.
    Prints per-run rows and a Markdown table of medians with each kind's ratio to the built-in handler.
    Nothing is asserted: read the spread before the ratio. The module is the one Netpoll.psd1 at the
    repository root loads (the Debug build of dotnet build Netpoll.slnx unless -Module says otherwise).
.EXAMPLE
    dotnet pwsh bench/scriptroute/Measure-ScriptRoute.ps1 -Seconds 5 -Repetitions 3
#>
[CmdletBinding()]
param(
    # Seconds of load against each server in each repetition.
    [ValidateRange(1, 600)] [double] $Seconds = 5,

    # Runs of each kind, alternated.
    [ValidateRange(1, 100)] [int] $Repetitions = 3,

    # Keep-alive connections of the load, one request in flight on each.
    [ValidateRange(1, 5000)] [int] $Connections = 16,

    # Size of the scriptblock route's runspace pool (Start-NetpollServer -ScriptThreads).
    [ValidateRange(1, 64)] [int] $ScriptThreads = 4,

    # The module manifest to import.
    [string] $Module = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module $Module -Force

$kinds = [ordered]@{
    BuiltIn     = @{ Protocol = 'Http' }
    StaticRoute = @{ Route = @{ 'GET /' = 'Hello, World!' } }
    ScriptRoute = @{ Route = @{ 'GET /' = { 'Hello, World!' } }; ScriptThreads = $ScriptThreads }
}

$process = [System.Diagnostics.Process]::GetCurrentProcess()
$rows = foreach ($repetition in 1..$Repetitions) {
    foreach ($kind in $kinds.Keys) {
        $options = $kinds[$kind]
        $server = Start-NetpollServer -Name "bench-$($kind.ToLowerInvariant())" -Port 0 -Pollers 1 @options
        try {
            $null = $server | Invoke-NetpollLoad -Isolated -Pattern Http -Connections $Connections -Duration 1   # warm: JIT, runspaces
            $process.Refresh()
            $cpuBefore = $process.TotalProcessorTime
            $load = $server | Invoke-NetpollLoad -Isolated -Pattern Http -Connections $Connections -Duration $Seconds
            $process.Refresh()
            $cpu = ($process.TotalProcessorTime - $cpuBefore).TotalSeconds
        }
        finally { $server | Stop-NetpollServer }
        [pscustomobject]@{
            Repetition = $repetition; Kind = $kind; Requests = $load.Requests; Failed = $load.RequestsFailed
            RequestsPerSecond = [math]::Round($load.RequestsPerSecond); ServerCpuSeconds = [math]::Round($cpu, 2)
            RequestsPerCpuSecond = if ($cpu -gt 0) { [math]::Round($load.Requests / $cpu) } else { $null }
            LatencyP50Ms = $load.LatencyP50Ms; LatencyP99Ms = $load.LatencyP99Ms
        }
    }
}
$rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[[int][math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

$medians = foreach ($kind in $kinds.Keys) {
    $of = @($rows | Where-Object Kind -eq $kind)
    [pscustomobject]@{
        Kind = $kind
        RequestsPerSecond = Get-Median $of.RequestsPerSecond
        RequestsPerCpuSecond = Get-Median $of.RequestsPerCpuSecond
        CpuMicrosecondsPerRequest = Get-Median ($of | ForEach-Object { 1e6 * $_.ServerCpuSeconds / [math]::Max(1, $_.Requests) })
        LatencyP50Ms = Get-Median $of.LatencyP50Ms
        LatencyP99Ms = Get-Median $of.LatencyP99Ms
    }
}
$builtIn = $medians | Where-Object Kind -eq 'BuiltIn'
"| GET / answered by | requests/s | requests per server CPU-s | ratio to built-in | server CPU µs/request | p50 ms | p99 ms |"
"|---|---:|---:|---:|---:|---:|---:|"
foreach ($m in $medians) {
    $ratio = if ($builtIn.RequestsPerCpuSecond) { '{0:0.00}×' -f ($m.RequestsPerCpuSecond / $builtIn.RequestsPerCpuSecond) } else { '' }
    '| {0} | {1:0} | {2:0} | {3} | {4:0.0} | {5:0.00} | {6:0.00} |' -f $m.Kind, $m.RequestsPerSecond, $m.RequestsPerCpuSecond, $ratio, $m.CpuMicrosecondsPerRequest, $m.LatencyP50Ms, $m.LatencyP99Ms
}
