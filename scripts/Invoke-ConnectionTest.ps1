#Requires -Version 7.6
<#
.SYNOPSIS
    Runs a large connection test end to end and writes a report (CSV, JSON, HTML with charts).
.DESCRIPTION
    1. Preflight: Test-NetpollTuning for the server (this process) and the client (a separate process).
       Stops with the binding constraint when the machine cannot hold -Connections.
    2. Tune: Set-NetpollTuning for the count (restored in a finally block), unless -NoTuning.
    3. Starts a server in this process, ramps the load in a separate process (Invoke-NetpollLoad
       -Isolated) with a progress bar, and samples Get-NetpollStats and the server's memory every second.
    4. Stops everything and writes samples.csv, pollers.csv, summary.json and report.html to -OutputPath.
    Runs in pwsh 7.6 (dotnet pwsh in the repository).
.EXAMPLE
    ./scripts/Invoke-ConnectionTest.ps1 -Connections 19000 -Pattern Idle -Duration 30
    Holds 19,000 idle connections for 30 s and reports the server's memory per connection.
.EXAMPLE
    ./scripts/Invoke-ConnectionTest.ps1 -Connections 2000 -Duration 5 -Protocol Http -Pattern Http -OutputPath ./report
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1000000)]
    [int] $Connections = 1000,

    [ValidateRange(1, 86400)]
    [double] $Duration = 10,

    [ValidateSet('Echo', 'Discard', 'Http')]
    [string] $Protocol = 'Echo',

    [ValidateSet('PingPong', 'Pipelined', 'Http', 'Idle')]
    [string] $Pattern = 'PingPong',

    [string] $OutputPath,

    [ValidateRange(0, 1000000)]
    [int] $ConnectRate = 5000,

    [ValidateRange(1, 250)]
    [int] $SourceAddressCount = 1,

    [ValidateRange(1, 64)]
    [int] $Pollers = 2,

    [ValidateRange(1, 1048576)]
    [int] $MessageSize = 256,

    # Skip Set-NetpollTuning (preflight still runs).
    [switch] $NoTuning
)

$ErrorActionPreference = 'Stop'
$manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', 'Netpoll.psd1'))
if (-not (Get-Module -Name Netpoll)) { Import-Module $manifest }
if (-not $OutputPath) {
    $OutputPath = [System.IO.Path]::Combine($PWD.Path, 'connection-test-' + [DateTime]::Now.ToString('yyyyMMdd-HHmmss'))
}

function Write-Step([string] $Text) { $Host.UI.WriteLine("[$([DateTime]::Now.ToString('HH:mm:ss'))] $Text") }

# 1. Preflight ---------------------------------------------------------------------------------
$serverChecks = @(Test-NetpollTuning -Connections $Connections -Role Server)
$clientChecks = @(Test-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount)
$serverSummary = $serverChecks[-1]
$clientSummary = $clientChecks[-1]
foreach ($check in @($serverChecks + $clientChecks) | Where-Object { $_ -is [Netpoll.PowerShell.Tuning.NetpollTuningCheck] -and $_.Status -ne 'Pass' }) {
    Write-Step "preflight $($check.Status): $($check.Setting) = $($check.Current), needs $($check.Required). $($check.Why)"
}
$allowed = [Math]::Min($serverSummary.MaxConnections, $clientSummary.MaxConnections)
if ($allowed -lt $Connections) {
    $binding = if ($serverSummary.MaxConnections -le $clientSummary.MaxConnections) { $serverSummary } else { $clientSummary }
    throw "This machine allows at most $allowed connections for this test ($($binding.Role)): $($binding.Why) Use -Connections $allowed or fix $($binding.BindingConstraint)."
}

$snapshot = $null
$server = $null
$load = $null
$samples = [System.Collections.Generic.List[object]]::new()
$pollerSamples = [System.Collections.Generic.List[object]]::new()
$name = 'conntest-' + [System.Environment]::ProcessId
try {
    # 2. Tune (the client process inherits this process's raised open-file limit) ------------------
    $tuning = @()
    if (-not $NoTuning) {
        $tuning = @(Set-NetpollTuning -Connections $Connections -Role Client -Scope Runtime -Confirm:$false -WarningAction SilentlyContinue)
        $snapshot = @($tuning | Where-Object { $_.Snapshot })[0].Snapshot
        foreach ($change in $tuning | Where-Object { $_.Status -in 'Changed', 'Failed' }) {
            Write-Step "tuning $($change.Status): $($change.Setting) $($change.Before) -> $($change.After) $($change.Reason)"
        }
    }

    # 3. Serve and load ------------------------------------------------------------------------------
    $server = Start-NetpollServer -Name $name -Protocol $Protocol -Pollers $Pollers -Port 0 -Backlog 0
    [System.GC]::Collect()
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    $baseWorkingSet = $process.WorkingSet64
    $baseManaged = [System.GC]::GetTotalMemory($true)
    Write-Step "server $name on $($server.EndPoint); loading $Connections $Pattern connections for $Duration s"

    $sources = @(1..$SourceAddressCount | ForEach-Object { [System.Net.IPAddress]::Parse("127.0.0.$_") })
    # The load's own runspace needs only the Core cmdlets and the module: CreateDefault2 starts lightest.
    $load = [System.Management.Automation.PowerShell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
    $null = $load.AddCommand('Import-Module').AddParameter('Name', $manifest).AddStatement()
    $null = $load.AddCommand('Invoke-NetpollLoad').
        AddParameter('Target', "127.0.0.1:$($server.Port)").AddParameter('Connections', $Connections).
        AddParameter('ConnectRate', $ConnectRate).AddParameter('Duration', $Duration).AddParameter('Pattern', $Pattern).
        AddParameter('MessageSize', $MessageSize).AddParameter('SourceAddress', $sources).AddParameter('Isolated', $true)
    $running = $load.BeginInvoke()

    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $peak = [pscustomobject]@{ Connections = 0; WorkingSetBytes = $baseWorkingSet; ManagedBytes = $baseManaged; BufferPoolBytes = 0 }
    $activity = [System.Management.Automation.ProgressRecord]::new(1, "Connection test: $Connections $Pattern connections", 'starting')
    while (-not $running.IsCompleted -and $clock.Elapsed.TotalSeconds -lt $Duration + 120) {
        [System.Threading.Thread]::Sleep(1000)
        $aggregate = Get-NetpollStats -Name $name -Aggregate
        foreach ($poller in Get-NetpollStats -Name $name) { $pollerSamples.Add($poller) }
        $process.Refresh()
        $sample = [pscustomobject]@{
            Timestamp          = $aggregate.Timestamp
            ElapsedSeconds     = [Math]::Round($clock.Elapsed.TotalSeconds, 3)
            Connections        = $aggregate.Connections
            Accepted           = $aggregate.Accepted
            Closed             = $aggregate.Closed
            BytesIn            = $aggregate.BytesIn
            BytesOut           = $aggregate.BytesOut
            BytesInPerSecond   = $aggregate.BytesInPerSecond
            BytesOutPerSecond  = $aggregate.BytesOutPerSecond
            EventsPerSecond    = $aggregate.EventsPerSecond
            AcceptedPerSecond  = $aggregate.AcceptedPerSecond
            Paused             = $aggregate.Paused
            BufferPoolBytes    = $aggregate.BufferPoolBytes
            BusyPercent        = $aggregate.BusyPercent
            WorkingSetBytes    = $process.WorkingSet64
            ManagedBytes       = [System.GC]::GetTotalMemory($false)
        }
        if ($sample.Connections -gt $peak.Connections) {
            # A new peak: measure the live heap precisely (a full GC), not live data plus garbage.
            $sample.ManagedBytes = [System.GC]::GetTotalMemory($true)
            $peak = $sample
        }
        $samples.Add($sample)

        $latest = @($load.Streams.Progress)
        $activity.StatusDescription = if ($latest.Count) { $latest[-1].StatusDescription } else { "$($sample.Connections) connections" }
        $activity.PercentComplete = [int][Math]::Min(100, 100 * $clock.Elapsed.TotalSeconds / $Duration)
        $PSCmdlet.WriteProgress($activity)
    }

    $output = $load.EndInvoke($running)
    $result = @($output | Where-Object { $_ -is [Netpoll.Load.LoadResult] })[0]
    if (-not $result) { throw "The load produced no result: $(@($load.Streams.Error) -join '; ')" }
    $activity.RecordType = 'Completed'
    $PSCmdlet.WriteProgress($activity)

    # 4. Report ------------------------------------------------------------------------------------------
    $perConnection = if ($peak.Connections -gt 0) { [Math]::Round(($peak.WorkingSetBytes - $baseWorkingSet) / $peak.Connections) } else { 0 }
    $managedPerConnection = if ($peak.Connections -gt 0) { [Math]::Round(($peak.ManagedBytes - $baseManaged) / $peak.Connections) } else { 0 }
    $summary = [ordered]@{
        Date                         = [DateTimeOffset]::Now.ToString('o')
        Machine                      = "$([System.Environment]::ProcessorCount) cores, $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription)"
        Protocol                     = $Protocol
        Pattern                      = $Pattern
        ConnectionsRequested         = $Connections
        PeakServerConnections        = $peak.Connections
        DurationSeconds              = $Duration
        Pollers                      = $Pollers
        SourceAddressCount           = $SourceAddressCount
        MaxConnectionsAllowed        = $allowed
        BindingConstraint            = $serverSummary.BindingConstraint
        BindingWhy                   = $serverSummary.Why
        ServerBytesPerConnection     = $perConnection
        ServerManagedBytesPerConnection = $managedPerConnection
        BufferPoolBytesAtPeak        = $peak.BufferPoolBytes
        TuningChanged                = @($tuning | Where-Object Status -eq 'Changed' | ForEach-Object { "$($_.Setting)=$($_.After)" })
    }
    $report = Export-NetpollReport -Path $OutputPath -Sample $samples.ToArray() -PollerSample $pollerSamples.ToArray() -LoadResult $result -Summary $summary -Title "Netpoll connection test: $Connections $Pattern connections ($Protocol)"
    Write-Step "peak $($peak.Connections) connections; server memory $perConnection B per connection (managed $managedPerConnection B); $($result.Requests) requests, $($result.Errors) errors"
    Write-Step "report: $($report.Html)"
    [pscustomobject]@{
        Connections              = $peak.Connections
        Requests                 = $result.Requests
        Errors                   = $result.Errors
        ServerBytesPerConnection = $perConnection
        ManagedBytesPerConnection = $managedPerConnection
        LatencyP99               = $result.LatencyP99
        Report                   = $report.Html
        Summary                  = $report.SummaryJson
    }
}
finally {
    if ($load) { $load.Stop(); $load.Dispose() }
    if ($server) { Stop-NetpollServer -Name $name -Force }
    if ($snapshot) {
        $restored = @(Restore-NetpollTuning -Snapshot $snapshot -Confirm:$false -WarningAction SilentlyContinue)
        Write-Step "tuning restored ($($restored.Count) items)"
    }
}
