#Requires -Version 7.6
<#
.SYNOPSIS
    Starts a Netpoll server, loads it, shows per-poller stats and the load result, and stops it.
.DESCRIPTION
    The demo a newcomer runs first. It uses only the Core cmdlets and $Host.UI, so it runs the same in
    pwsh and in the project's netpoll-host (which has no Utility or Management cmdlets).
.EXAMPLE
    ./scripts/Demo.ps1 -Connections 500 -Duration 5 -Protocol Http
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

$ErrorActionPreference = 'Stop'
if (-not (Get-Module -Name Netpoll)) {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', 'Netpoll.psd1'))
}

$name = 'demo-' + [System.Environment]::ProcessId
$server = Start-NetpollServer -Name $name -Protocol $Protocol -Pollers $Pollers -Port 0
try {
    $Host.UI.WriteLine("Started $Protocol server '$name' on $($server.EndPoint) with $Pollers pollers.")
    $server | Out-Default

    $pattern = if ($Protocol -eq 'Http') { 'Http' } else { 'PingPong' }
    $Host.UI.WriteLine("Loading it with $Connections $pattern connections for $Duration s ...")
    $result = $server | Invoke-NetpollLoad -Connections $Connections -Duration $Duration -Pattern $pattern

    $Host.UI.WriteLine('Per-poller stats:')
    Get-NetpollStats -Name $name | Out-Default

    $Host.UI.WriteLine('Load result:')
    $result | Out-Default

    if ($result.Requests -eq 0 -or $result.Errors -gt 0) {
        throw "The demo load did not run cleanly: $($result.Requests) requests, $($result.Errors) errors."
    }
}
finally {
    Stop-NetpollServer -Name $name
    $Host.UI.WriteLine("Stopped '$name'.")
}
