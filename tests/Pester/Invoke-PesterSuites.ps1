<#
.SYNOPSIS
    Runs the Pester suites under tests/Pester with the repository's pinned pwsh and Pester, and writes JUnit XML.
.DESCRIPTION
    The Pester half of ./test.sh (what CI runs). It needs the pwsh of .config/dotnet-tools.json and the Pester
    that dotnet build Netpoll.slnx stages in artifacts/tools/Pester/<version>; without them it says, in one line,
    what to run. It exits 1 when any test, or any BeforeAll/AfterAll, fails, or when no test ran.
.EXAMPLE
    dotnet pwsh tests/Pester/Invoke-PesterSuites.ps1
.EXAMPLE
    dotnet pwsh tests/Pester/Invoke-PesterSuites.ps1 -Path tests/Pester/Server.Tests.ps1
#>
[CmdletBinding()]
param(
    # Suites (files or folders) to run; every *.Tests.ps1 under tests/Pester by default. Commas separate
    # several, also through pwsh -File, which passes a list as one string.
    [string[]] $Path = @($PSScriptRoot),

    # Where the JUnit XML report goes.
    [string] $OutputPath = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'artifacts', 'test-results', 'pester.junit.xml')
)

$repository = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$toolManifest = Get-Content -Raw -LiteralPath ([System.IO.Path]::Combine($repository, '.config', 'dotnet-tools.json')) | ConvertFrom-Json
$pinnedPwsh = $toolManifest.tools.powershell.version
if ("$($PSVersionTable.PSVersion)" -ne $pinnedPwsh) {
    [Console]::Error.WriteLine("The Pester suites run in pwsh $pinnedPwsh from .config/dotnet-tools.json, not $($PSVersionTable.PSVersion): run 'dotnet tool restore', then 'dotnet pwsh tests/Pester/Invoke-PesterSuites.ps1'.")
    exit 1
}

$pesterVersion = ([xml](Get-Content -Raw -LiteralPath ([System.IO.Path]::Combine($repository, 'Directory.Packages.props')))).SelectSingleNode('//PesterVersion').InnerText
$pesterManifest = [System.IO.Path]::Combine($repository, 'artifacts', 'tools', 'Pester', $pesterVersion, 'Pester.psd1')
if (-not (Test-Path -LiteralPath $pesterManifest)) {
    [Console]::Error.WriteLine("Pester $pesterVersion is not staged at $pesterManifest yet: run 'dotnet build Netpoll.slnx' (or ./test.sh, which builds and runs everything).")
    exit 1
}

$ErrorActionPreference = 'Stop'
# Formatted text that tests put in failure messages stays free of escape sequences, which XML cannot carry.
$PSStyle.OutputRendering = 'PlainText'
Import-Module $pesterManifest
$null = New-Item -ItemType Directory -Path ([System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($OutputPath))) -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = @($Path -split ',')
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'JUnitXml'
$configuration.TestResult.OutputPath = [System.IO.Path]::GetFullPath($OutputPath)
$configuration.Should.ErrorAction = 'Stop'

$result = Invoke-Pester -Configuration $configuration
if ($result.Result -ne 'Passed' -or $result.PassedCount -eq 0) {
    exit 1
}
