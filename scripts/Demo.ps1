<#
.SYNOPSIS
    Starts a Netpoll server, loads it, shows per-poller stats and the load result, and stops it.
.DESCRIPTION
    The demo a newcomer runs first (./demo.sh builds, then runs it in the repository's pwsh 7.6.9).
.EXAMPLE
    dotnet pwsh ./scripts/Demo.ps1 -Connections 500 -Duration 5 -Protocol Http
.PARAMETER Connections
    Client connections the load opens against the server (1-10000).
.PARAMETER Duration
    Seconds of load (0.5-600).
.PARAMETER Protocol
    What the server speaks: Echo (loaded with the PingPong pattern) or Http (loaded with GET /).
.PARAMETER Pollers
    Poller threads of the server (1-64).
.INPUTS
    None.
.OUTPUTS
    Text on the host: the server, its per-poller stats and the load result.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 10000)]
    [int] $Connections = 200,

    [ValidateRange(0.5, 600)]
    [double] $Duration = 3,

    [ValidateSet('Echo', 'Http')]
    [string] $Protocol = 'Echo',

    [ValidateRange(1, 64)]
    [int] $Pollers = 2
)

# Checked here rather than with #Requires, whose refusal is a multi-line error record: one line says what to run.
$version = $PSVersionTable.PSVersion
if ($version.Major -lt 7 -or ($version.Major -eq 7 -and $version.Minor -lt 6)) {
    [Console]::Error.WriteLine("The Netpoll demo needs pwsh 7.6 or later, not $version`: run ./demo.sh, or 'dotnet tool restore' then 'dotnet pwsh scripts/Demo.ps1'.")
    exit 1
}
$manifest = [System.IO.Path]::Combine($PSScriptRoot, '..', 'Netpoll.psd1')
if (-not (Get-Module -Name Netpoll) -and -not (Test-Path ([System.IO.Path]::Combine($PSScriptRoot, '..', 'artifacts', 'module', 'Netpoll.PowerShell.dll')))) {
    [Console]::Error.WriteLine("The Netpoll module is not built yet: run ./demo.sh, or 'dotnet build Netpoll.slnx' then this script again.")
    exit 1
}

$ErrorActionPreference = 'Stop'
if (-not (Get-Module -Name Netpoll)) {
    Import-Module $manifest
}

$name = "demo-$PID"
$server = Start-NetpollServer -Name $name -Protocol $Protocol -Pollers $Pollers -Port 0
try {
    Write-Host "Started $Protocol server '$name' on $($server.EndPoint) with $Pollers pollers."
    $server | Out-Host

    $pattern = if ($Protocol -eq 'Http') { 'Http' } else { 'PingPong' }
    Write-Host "Loading it with $Connections $pattern connections for $Duration s ..."
    $result = $server | Invoke-NetpollLoad -Connections $Connections -Duration $Duration -Pattern $pattern

    Write-Host 'Per-poller stats:'
    Get-NetpollStats -Name $name | Out-Host

    Write-Host 'Load result:'
    $result | Out-Host

    if ($result.Requests -eq 0 -or $result.Errors -gt 0) {
        throw "The demo load did not run cleanly: $($result.Requests) requests, $($result.Errors) errors."
    }
}
finally {
    Stop-NetpollServer -Name $name
    Write-Host "Stopped '$name'."
}
