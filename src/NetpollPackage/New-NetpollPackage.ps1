<#
.SYNOPSIS
    Stages the built module as a module folder and packs it as artifacts/packages/Netpoll.<version>.nupkg.
.DESCRIPTION
    Run by src/NetpollPackage/NetpollPackage.csproj after the module is built. The repository's Netpoll.psd1 loads
    the build from artifacts/module; the packaged manifest is the same file with every path made relative to the
    module folder, checked with Test-ModuleManifest before PSResourceGet's Compress-PSResource packs the folder.
.PARAMETER Manifest
    The development manifest (the repository's Netpoll.psd1) whose paths are rewritten relative to the module folder.
.PARAMETER ModuleFolder
    The staged build the manifest loads (artifacts/module): the binary module, format file, help, telemetry/ and
    the netpoll-load worker.
.PARAMETER StageFolder
    Where the module folder is assembled (emptied first); its root becomes the package root.
.PARAMETER DestinationFolder
    Where Netpoll.<version>.nupkg is written (artifacts/packages).
.EXAMPLE
    dotnet pwsh src/NetpollPackage/New-NetpollPackage.ps1 -Manifest Netpoll.psd1 -ModuleFolder artifacts/module -StageFolder artifacts/package/Netpoll -DestinationFolder artifacts/packages
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $StageFolder,
    [Parameter(Mandatory)] [string] $DestinationFolder
)

$ErrorActionPreference = 'Stop'
if (-not (Test-Path -LiteralPath (Join-Path $ModuleFolder 'Netpoll.PowerShell.dll'))) {
    Write-Host "The module is not built in ${ModuleFolder}: run dotnet build Netpoll.slnx"
    exit 1
}

# A fresh module folder: the module's files, then the manifest that loads them from beside itself.
Remove-Item -LiteralPath $StageFolder -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Path $StageFolder
Copy-Item -Path (Join-Path $ModuleFolder '*') -Destination $StageFolder -Recurse

# Development-only comments mention artifacts/; the paths drop their artifacts/module/ prefix.
$lines = Get-Content -LiteralPath $Manifest | Where-Object { $_ -notmatch '^\s*#.*artifacts/' }
$packaged = ($lines -join "`n") -replace "'artifacts/module/", "'"
if ($packaged -match 'artifacts/') {
    throw "$Manifest still names artifacts/ after its paths were made relative: keep its module paths in the form 'artifacts/module/<file>'."
}
$stagedManifest = Join-Path $StageFolder 'Netpoll.psd1'
Set-Content -LiteralPath $stagedManifest -Value $packaged -NoNewline
$module = Test-ModuleManifest -Path $stagedManifest

$null = New-Item -ItemType Directory -Path $DestinationFolder -Force
Get-ChildItem -LiteralPath $DestinationFolder -Filter 'Netpoll.*.nupkg' | Remove-Item -Force
Compress-PSResource -Path $StageFolder -DestinationPath $DestinationFolder
$package = Join-Path $DestinationFolder "Netpoll.$($module.Version).nupkg"
if (-not (Test-Path -LiteralPath $package)) {
    throw "Compress-PSResource did not write $package."
}
Write-Host "Netpoll $($module.Version) packed: $package"
