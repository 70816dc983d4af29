<#
.SYNOPSIS
    Measures what ReadyToRun buys the module at start-up: Import-Module time and requests in each of the first
    seconds of load, IL against ReadyToRun, side by side in one run.
.DESCRIPTION
    Publishes src/NetpollModule twice in Release, once as IL and once with PublishReadyToRun for this machine's
    runtime identifier, and lays each over a copy of the packaged module folder (artifacts/package/Netpoll, from
    dotnet build Netpoll.slnx). Then, -Repetitions times and alternating the two so drift on a shared machine hits
    both alike, a fresh pwsh imports one of them, starts an echo server and loads it in-process (PingPong, 64 B,
    -Connections) for -Seconds consecutive one-second windows. Prints per-run rows and a Markdown table of
    medians with the ReadyToRun/IL ratio. Nothing is asserted: read the spread before the ratio.
.EXAMPLE
    dotnet pwsh bench/startup/Measure-Startup.ps1 -Repetitions 9
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 100)] [int] $Repetitions = 7,
    [ValidateRange(1, 30)] [int] $Seconds = 5,
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
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $Manifest
$import = $clock.Elapsed.TotalMilliseconds
$server = Start-NetpollServer -Name startup -Port 0 -Pollers 1
$perSecond = foreach ($second in 1..$Seconds) {
    ($server | Invoke-NetpollLoad -Connections $Connections -Duration 1 -MessageSize 64 -Pattern PingPong).Requests
}
Stop-NetpollServer -Name startup
"$import;$($perSecond -join ',')"
'@
    $pwsh = [System.IO.Path]::Combine($PSHOME, 'pwsh.dll')
    $runs = foreach ($repetition in 1..$Repetitions) {
        foreach ($name in $variants.Keys) {
            $line = & dotnet $pwsh -NoProfile -NonInteractive -File $probe -Manifest (Join-Path $work "$name/Netpoll/Netpoll.psd1") -Seconds $Seconds -Connections $Connections
            if ($LASTEXITCODE -ne 0) { throw "The probe ($name) failed: $line" }
            $import, $requests = "$line".Split(';')
            $row = [pscustomobject]@{ Variant = $name; Repetition = $repetition; ImportMs = [double]$import; Requests = [long[]]$requests.Split(',') }
            Write-Host ("{0,-10} #{1}: import {2,6:0} ms; requests per second {3}" -f $name, $repetition, $row.ImportMs, ($row.Requests -join ' '))
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
    $ilImport = Get-Median $il.ImportMs; $r2rImport = Get-Median $r2r.ImportMs
    "| Import-Module (ms) | $('{0:N0}' -f $ilImport) ($(Get-Spread $il.ImportMs)) | $('{0:N0}' -f $r2rImport) ($(Get-Spread $r2r.ImportMs)) | $('{0:0.00}' -f ($r2rImport / $ilImport))× |"
    foreach ($second in 1..$Seconds) {
        $ilSecond = @($il | ForEach-Object { $_.Requests[$second - 1] }); $r2rSecond = @($r2r | ForEach-Object { $_.Requests[$second - 1] })
        $ilMedian = Get-Median $ilSecond; $r2rMedian = Get-Median $r2rSecond
        "| requests in second $second | $('{0:N0}' -f $ilMedian) ($(Get-Spread $ilSecond)) | $('{0:N0}' -f $r2rMedian) ($(Get-Spread $r2rSecond)) | $('{0:0.00}' -f ($r2rMedian / $ilMedian))× |"
    }
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
