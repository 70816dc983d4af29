<#
.SYNOPSIS
    Measures what ReadyToRun buys the module at start-up: Import-Module time and requests in each of the first
    seconds of load, IL against ReadyToRun, side by side in one run.
.DESCRIPTION
    Publishes src/NetpollModule twice in Release, once as IL and once with PublishReadyToRun for this machine's
    runtime identifier, and lays each over a copy of the packaged module folder (artifacts/package/Netpoll, from
    dotnet build Netpoll.slnx). Then, -Repetitions times and alternating the two so drift on a shared machine hits
    both alike, a fresh pwsh imports one of them, starts an echo server and loads it in-process (PingPong, 64 B,
    -Connections) for -Seconds consecutive one-second windows. Besides wall time it records CPU time and the
    JIT's own counters (methods compiled, time compiling), which a busy shared machine moves much less. Prints
    per-run rows and a Markdown table of medians with the ReadyToRun/IL ratio. Nothing is asserted: read the
    spread (the range after each median) before the ratio. The ReadyToRun copy loads only on this runtime
    identifier (an image built for another one fails Import-Module), which is why the package itself ships IL.
.EXAMPLE
    dotnet pwsh bench/startup/Measure-Startup.ps1 -Repetitions 9
#>
[CmdletBinding()]
param(
    # Runs of each build, alternated IL / ReadyToRun so drift on a shared machine hits both alike.
    [ValidateRange(1, 100)] [int] $Repetitions = 7,

    # Consecutive one-second load windows measured after the import.
    [ValidateRange(1, 30)] [int] $Seconds = 5,

    # Connections of the in-process PingPong load (64 B messages).
    [ValidateRange(1, 5000)] [int] $Connections = 50
)

$ErrorActionPreference = 'Stop'
$root = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$packaged = [System.IO.Path]::Combine($root, 'artifacts', 'package', 'Netpoll')
if (-not (Test-Path -LiteralPath (Join-Path $packaged 'Netpoll.psd1'))) {
    [Console]::Error.WriteLine("The packaged module folder is missing ($packaged): run 'dotnet build Netpoll.slnx' first.")
    exit 1
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) "netpoll-startup-$PID"
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$variants = [ordered]@{ IL = @(); ReadyToRun = @("-r", $rid, '--self-contained', 'false', '-p:PublishReadyToRun=true') }
try {
    foreach ($name in $variants.Keys) {
        $module = Join-Path $work "$name/Netpoll"
        $null = New-Item -ItemType Directory -Path $module -Force
        Copy-Item -Path (Join-Path $packaged '*') -Destination $module -Recurse
        $publish = Join-Path $work "$name-publish"
        # ModuleStageDir: the publish's own build stages into the work folder, never over artifacts/module.
        & dotnet publish (Join-Path $root 'src/NetpollModule/NetpollModule.csproj') -c Release -o $publish --nologo -v quiet `
            "-p:ModuleStageDir=$(Join-Path $work "$name-stage")/" @($variants[$name])
        if ($LASTEXITCODE -ne 0) { throw "dotnet publish ($name) failed." }
        Copy-Item -Path (Join-Path $publish 'Netpoll.*.dll') -Destination $module -Force
    }

    $probe = Join-Path $work 'probe.ps1'
    Set-Content -LiteralPath $probe -Value @'
param([string] $Manifest, [int] $Seconds, [int] $Connections)
# Wall time moves with whatever else runs on the machine; CPU time and the JIT's own counters much less.
$self = [System.Diagnostics.Process]::GetCurrentProcess()
function Get-Counters {
    $self.Refresh()
    [pscustomobject]@{
        Wall = [System.Diagnostics.Stopwatch]::GetTimestamp(); Cpu = $self.TotalProcessorTime.TotalMilliseconds
        JitMethods = [System.Runtime.JitInfo]::GetCompiledMethodCount($false); JitMs = [System.Runtime.JitInfo]::GetCompilationTime($false).TotalMilliseconds
    }
}
$before = Get-Counters
Import-Module $Manifest
$imported = Get-Counters
$server = Start-NetpollServer -Name startup -Port 0 -Pollers 1
$windows = foreach ($window in 1..$Seconds) {
    $start = Get-Counters
    $requests = ($server | Invoke-NetpollLoad -Connections $Connections -Duration 1 -MessageSize 64 -Pattern PingPong).Requests
    $end = Get-Counters
    '{0}:{1:0}:{2:0}:{3}' -f $requests, ($end.Cpu - $start.Cpu), ($end.JitMs - $start.JitMs), ($end.JitMethods - $start.JitMethods)
}
Stop-NetpollServer -Name startup
'{0:0};{1:0};{2};{3:0};{4}' -f [System.Diagnostics.Stopwatch]::GetElapsedTime($before.Wall, $imported.Wall).TotalMilliseconds,
    ($imported.Cpu - $before.Cpu), ($imported.JitMethods - $before.JitMethods), ($imported.JitMs - $before.JitMs), ($windows -join ',')
'@
    $pwsh = [System.IO.Path]::Combine($PSHOME, 'pwsh.dll')
    $runs = foreach ($repetition in 1..$Repetitions) {
        foreach ($name in $variants.Keys) {
            $line = & dotnet $pwsh -NoProfile -NonInteractive -File $probe -Manifest (Join-Path $work "$name/Netpoll/Netpoll.psd1") -Seconds $Seconds -Connections $Connections
            if ($LASTEXITCODE -ne 0) { throw "The probe ($name) failed: $line" }
            $import, $importCpu, $importJitMethods, $importJitMs, $perSecond = "$line".Split(';')
            $windows = foreach ($window in $perSecond.Split(',')) { $requests, $cpu, $jit, $jitted = $window.Split(':'); [pscustomobject]@{ Requests = [long]$requests; CpuMs = [double]$cpu; JitMs = [double]$jit; JitMethods = [double]$jitted } }
            $row = [pscustomobject]@{
                Variant = $name; Repetition = $repetition; ImportMs = [double]$import; ImportCpuMs = [double]$importCpu
                ImportJitMethods = [double]$importJitMethods; ImportJitMs = [double]$importJitMs; Seconds = @($windows)
            }
            Write-Host ("{0,-10} #{1}: import {2,5:0} ms ({3,5:0} ms CPU, {4} methods jitted in {5:0} ms); requests per second {6}" -f $name, $repetition,
                $row.ImportMs, $row.ImportCpuMs, $row.ImportJitMethods, $row.ImportJitMs, ($row.Seconds.Requests -join ' '))
            $row
        }
    }

    function Get-Median([double[]] $Values) {
        $sorted = $Values | Sort-Object
        if ($sorted.Count % 2) { $sorted[[int][Math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
    }
    function Get-Spread([double[]] $Values) { '{0:N0}–{1:N0}' -f ($Values | Measure-Object -Minimum).Minimum, ($Values | Measure-Object -Maximum).Maximum }

    $il = @($runs | Where-Object Variant -eq 'IL')
    $r2r = @($runs | Where-Object Variant -eq 'ReadyToRun')
    ''
    "Runtime $rid, $([Environment]::ProcessorCount) cores, $Repetitions repetitions per variant, $Connections connections, 64 B ping-pong, in-process load."
    ''
    '| measure | IL median (range) | ReadyToRun median (range) | ReadyToRun / IL |'
    '|---|--:|--:|--:|'
    function Write-Row([string] $Measure, [scriptblock] $Value, [string] $Format = 'N0') {
        $ilValues = @($il | ForEach-Object $Value); $r2rValues = @($r2r | ForEach-Object $Value)
        $ilMedian = Get-Median $ilValues; $r2rMedian = Get-Median $r2rValues
        $ratio = if ($ilMedian) { '{0:0.00}×' -f ($r2rMedian / $ilMedian) } else { '–' }
        "| $Measure | $("{0:$Format}" -f $ilMedian) ($(Get-Spread $ilValues)) | $("{0:$Format}" -f $r2rMedian) ($(Get-Spread $r2rValues)) | $ratio |"
    }
    Write-Row 'Import-Module, wall ms' { $_.ImportMs }
    Write-Row 'Import-Module, CPU ms' { $_.ImportCpuMs }
    Write-Row 'Import-Module, methods jitted' { $_.ImportJitMethods }
    Write-Row 'Import-Module, JIT ms' { $_.ImportJitMs }
    foreach ($second in 1..$Seconds) {
        $index = $second - 1
        Write-Row "second $second of load: requests" { $_.Seconds[$index].Requests }
        Write-Row "second $second of load: requests per CPU-second" { $_.Seconds[$index].Requests * 1000 / [Math]::Max(1, $_.Seconds[$index].CpuMs) }
        Write-Row "second $second of load: methods jitted" { $_.Seconds[$index].JitMethods }
        Write-Row "second $second of load: JIT ms" { $_.Seconds[$index].JitMs }
    }
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
