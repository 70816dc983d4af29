<#
.SYNOPSIS
    Prints one line, 'tests: N passed, N failed[, N skipped]', for every result file of a test run.
.DESCRIPTION
    Counts the xunit projects' TRX files and the Pester suites' JUnit XML in one folder (artifacts/test-results
    after ./test.sh). Exits 1 when nothing ran, so a run that executed no test never looks green.
.PARAMETER Folder
    The folder that holds the *.trx and *.junit.xml files of one run (searched recursively).
.EXAMPLE
    dotnet pwsh tests/Measure-TestResults.ps1 -Folder artifacts/test-results
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Folder
)

$ErrorActionPreference = 'Stop'
$passed = 0; $failed = 0; $skipped = 0
foreach ($trx in Get-ChildItem -LiteralPath $Folder -Filter '*.trx' -Recurse) {
    $counters = ([xml](Get-Content -Raw -LiteralPath $trx.FullName)).TestRun.ResultSummary.Counters
    $passed += [int]$counters.passed
    $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
    $skipped += [int]$counters.notExecuted
}
foreach ($junit in Get-ChildItem -LiteralPath $Folder -Filter '*.junit.xml' -Recurse) {
    $suites = ([xml](Get-Content -Raw -LiteralPath $junit.FullName)).testsuites
    $failed += [int]$suites.failures + [int]$suites.errors
    $skipped += [int]$suites.disabled + [int]$suites.skipped
    $passed += [int]$suites.tests - [int]$suites.failures - [int]$suites.errors - [int]$suites.disabled - [int]$suites.skipped
}

$line = "tests: $passed passed, $failed failed"
if ($skipped -gt 0) { $line += ", $skipped skipped" }
Write-Host $line
if ($passed + $failed -eq 0) { exit 1 }
