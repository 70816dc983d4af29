<#
.SYNOPSIS
    Runs a large connection test end to end and writes a report (CSV, JSON, HTML with charts).
.DESCRIPTION
    1. Preflight: Test-NetpollTuning -Summary for the server (this process) and the client (a separate
       process). Stops with the binding constraint when the machine cannot hold -Connections.
    2. Tune, only with -Tune: Set-NetpollTuning for the count as a client (it changes exactly what
       Test-NetpollTuning flags), restored in a finally block. Without -Tune the OS is left alone.
    3. Starts a server in this process, ramps the load in a separate process (Invoke-NetpollLoad
       -Isolated) with a progress bar, and samples Get-NetpollStats and the server's memory every second.
    4. Stops everything and writes samples.csv, pollers.csv, summary.json and report.html to -OutputPath.
    -WhatIf runs the preflight, shows what -Tune would change, and says what it would run and write,
    changing nothing. Runs in pwsh 7.6 (dotnet pwsh in the repository).
.PARAMETER Connections
    Connections to open and hold, 1 to 1,000,000. Default 1000. The preflight stops the test when the
    machine cannot hold this many (Test-NetpollTuning names the setting that binds).
.PARAMETER Duration
    Seconds the load runs, ramp included, 1 to 86400. Default 10.
.PARAMETER Protocol
    What the server in this process speaks: Echo (default), Discard or Http.
.PARAMETER Pattern
    What each load connection does: PingPong (default), Pipelined, Http or Idle (hold connections
    without sending; use it to measure memory per connection).
.PARAMETER OutputPath
    The folder for the report. Default: connection-test-<yyyyMMdd-HHmmss> in the current directory.
.PARAMETER ConnectRate
    New connections per second while ramping, 0 for as fast as possible. Default 5000.
.PARAMETER SourceAddressCount
    Spread the client's connections over 127.0.0.1 .. 127.0.0.N, 1 to 250, so each address has its own
    ephemeral ports. Default 1.
.PARAMETER Pollers
    Pollers (reactor threads) of the server, 1 to 64. Default 2.
.PARAMETER MessageSize
    Bytes per request for PingPong and Pipelined, 1 to 1048576. Default 256.
.PARAMETER Tune
    Change the OS settings the test needs with Set-NetpollTuning (root for sysctls), after a snapshot,
    and restore them when the test ends. Off by default: the test then runs with the machine as it is.
.EXAMPLE
    ./scripts/Invoke-ConnectionTest.ps1 -Connections 19000 -Pattern Idle -Duration 30
    Holds 19,000 idle connections for 30 s and reports the server's memory per connection.
.EXAMPLE
    ./scripts/Invoke-ConnectionTest.ps1 -Connections 50000 -SourceAddressCount 2 -Tune -WhatIf
    Shows the preflight, the exact tuning diff, and what would run, and changes nothing.
.EXAMPLE
    ./scripts/Invoke-ConnectionTest.ps1 -Connections 2000 -Duration 5 -Protocol Http -Pattern Http -OutputPath ./report
.OUTPUTS
    One object: Connections (peak on the server), Requests, Errors, ServerBytesPerConnection,
    ManagedBytesPerConnection, LatencyP99Ms, Report (the HTML path) and Summary (the JSON path).
#>

#Requires -Version 7.6
[CmdletBinding(SupportsShouldProcess)]
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

    [switch] $Tune
)

$ErrorActionPreference = 'Stop'
$manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', 'Netpoll.psd1'))
if (-not (Get-Module -Name Netpoll)) { Import-Module $manifest }
if (-not $OutputPath) {
    $OutputPath = [System.IO.Path]::Combine($PWD.Path, 'connection-test-' + [DateTime]::Now.ToString('yyyyMMdd-HHmmss'))
}

function Write-Step([string] $Text) { $Host.UI.WriteLine("[$([DateTime]::Now.ToString('HH:mm:ss'))] $Text") }

# 1. Preflight (reads only) -----------------------------------------------------------------------
$serverSummary = Test-NetpollTuning -Connections $Connections -Role Server -Summary -WarningAction SilentlyContinue
$clientSummary = Test-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -Summary -WarningAction SilentlyContinue
$flagged = @(Test-NetpollTuning -Connections $Connections -Role Server -WarningAction SilentlyContinue) + @(Test-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -WarningAction SilentlyContinue)
$reported = @{}
foreach ($check in $flagged | Where-Object { $_.Status -ne 'Pass' -and -not $reported.ContainsKey($_.Setting) }) {
    $reported[$check.Setting] = $true
    Write-Step "preflight $($check.Status): $($check.Setting) = $($check.Current), needs $($check.Required). $($check.Why)"
}
# With -Tune, what Set-NetpollTuning can change does not count against the test; what it cannot change does.
$limit = if ($Tune) { 'ReachableConnections' } else { 'MaxConnections' }
$allowed = [Math]::Min($serverSummary.$limit, $clientSummary.$limit)
if ($allowed -lt $Connections) {
    $binding = if ($serverSummary.$limit -le $clientSummary.$limit) { $serverSummary } else { $clientSummary }
    $why = if ($Tune) { $binding.OutOfReach } else { "$($binding.Why) -Tune may raise it (Test-NetpollTuning shows the fix)." }
    throw "This machine allows at most $allowed connections for this test ($($binding.Role)): $why Use -Connections $allowed or fix $($binding.BindingConstraint)."
}

$snapshot = $null
$server = $null
$load = $null
$sampler = $null
$samples = [System.Collections.Generic.List[object]]::new()
$pollerSamples = [System.Collections.Generic.List[object]]::new()
$name = 'conntest-' + [System.Environment]::ProcessId
try {
    # 2. Tune, only when asked (the client process inherits this process's raised open-file limit) --
    $tuning = @()
    if ($Tune) {
        # -WhatIf reaches Set-NetpollTuning through $WhatIfPreference; -Confirm given to the script is passed on.
        $confirm = @{}
        if (-not $PSBoundParameters.ContainsKey('Confirm')) { $confirm.Confirm = $false }
        $tuning = @(Set-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -Scope Runtime @confirm -WarningAction SilentlyContinue)
        $snapshot = @($tuning | Where-Object { $_.Snapshot })[0].Snapshot
        foreach ($change in $tuning | Where-Object { $_.Status -in 'Changed', 'Failed' }) {
            Write-Step "tuning $($change.Status): $($change.Setting) $($change.Before) -> $($change.After) $($change.Reason)"
        }
    }

    if (-not $PSCmdlet.ShouldProcess("the $Protocol server in this process, $Connections $Pattern connections for $Duration s, report in $OutputPath", 'Run the connection test')) {
        return
    }

    # 3. Serve and load ------------------------------------------------------------------------------
    $server = Start-NetpollServer -Name $name -Protocol $Protocol -Pollers $Pollers -Port 0 -Backlog 0
    Write-Step "server $name on $($server.EndPoint); loading $Connections $Pattern connections for $Duration s"

    $sources = @(1..$SourceAddressCount | ForEach-Object { [System.Net.IPAddress]::Parse("127.0.0.$_") })
    # Helper runspaces with the module imported at creation: one command each, no batch of statements,
    # because Stop() on a running batch can leave a work item that throws after Dispose and ends the process.
    # CreateDefault2: a bare System.Management.Automation host has no ConsoleHost snap-in.
    $sessionState = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $sessionState.ImportPSModule($manifest)
    $load = [System.Management.Automation.PowerShell]::Create($sessionState)
    $sampler = [System.Management.Automation.PowerShell]::Create($sessionState)

    # The baseline is taken once both runspaces are open, the module loaded in them, and the load (one connection,
    # briefly) and the sampling below have each run once: taken before, the ~12 MiB (4 MiB managed) they cost was
    # counted as the connections' (6.8 KB per connection at 2,000 idle connections, 1.9 KB at 9,000).
    $null = $load.AddCommand('Invoke-NetpollLoad').AddParameter('Target', "127.0.0.1:$($server.Port)").AddParameter('Connections', 1).
        AddParameter('Duration', 0.2).AddParameter('Pattern', $Pattern).AddParameter('MessageSize', $MessageSize).
        AddParameter('Isolated', $true).AddParameter('ErrorAction', 'SilentlyContinue').Invoke()
    $null = $sampler.AddCommand('Get-NetpollStats').AddParameter('Name', $name).Invoke()
    $load.Commands.Clear(); $sampler.Commands.Clear()
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    $null = Get-NetpollStats -Name $name -Aggregate
    $baseManaged = [System.GC]::GetTotalMemory($true)
    $process.Refresh()
    $baseWorkingSet = $process.WorkingSet64

    $null = $load.AddCommand('Invoke-NetpollLoad').
        AddParameter('Target', "127.0.0.1:$($server.Port)").AddParameter('Connections', $Connections).
        AddParameter('ConnectRate', $ConnectRate).AddParameter('Duration', $Duration).AddParameter('Pattern', $Pattern).
        AddParameter('MessageSize', $MessageSize).AddParameter('SourceAddress', $sources).AddParameter('Isolated', $true)
    $running = $load.BeginInvoke()

    # Per-poller stats stream from one Get-NetpollStats -Interval 1 in its own runspace: one command, so every
    # sample's rates and busy share cover the second since its previous sample (separate calls would each
    # measure from the server's start).
    $null = $sampler.AddCommand('Get-NetpollStats').AddParameter('Name', $name).AddParameter('Interval', 1)
    $pollerStream = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $noInput = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $noInput.Complete()   # an open input would hold the command before it starts streaming
    $null = $sampler.BeginInvoke($noInput, $pollerStream)
    $taken = 0

    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $peak = [pscustomobject]@{ Connections = 0; WorkingSetBytes = $baseWorkingSet; ManagedBytes = $baseManaged; BufferPoolBytes = 0 }
    $activity = [System.Management.Automation.ProgressRecord]::new(1, "Connection test: $Connections $Pattern connections", 'starting')
    while (-not $running.IsCompleted -and $clock.Elapsed.TotalSeconds -lt $Duration + 120) {
        # One sample per tick of the stream: all pollers of the next second.
        if ($pollerStream.Count -lt $taken + $Pollers) {
            [System.Threading.Thread]::Sleep(50)
            continue
        }

        $tick = @(for ($i = $taken; $i -lt $taken + $Pollers; $i++) { $pollerStream[$i].PSObject.BaseObject })
        $taken += $Pollers
        foreach ($poller in $tick) { $pollerSamples.Add($poller) }
        $aggregate = Get-NetpollStats -Name $name -Aggregate   # counters and pool bytes; the rates come from the stream
        $process.Refresh()
        $sample = [pscustomobject]@{
            Timestamp          = $tick[-1].Timestamp
            Connections        = $aggregate.Connections
            Accepted           = $aggregate.Accepted
            Closed             = $aggregate.Closed
            BytesIn            = $aggregate.BytesIn
            BytesOut           = $aggregate.BytesOut
            BytesInPerSecond   = [System.Linq.Enumerable]::Sum([double[]]$tick.BytesInPerSecond)
            BytesOutPerSecond  = [System.Linq.Enumerable]::Sum([double[]]$tick.BytesOutPerSecond)
            EventsPerSecond    = [System.Linq.Enumerable]::Sum([double[]]$tick.EventsPerSecond)
            AcceptedPerSecond  = [System.Linq.Enumerable]::Sum([double[]]$tick.AcceptedPerSecond)
            Paused             = $aggregate.Paused
            BufferPoolBytes    = $aggregate.BufferPoolBytes
            BusyPercent        = [Math]::Round([System.Linq.Enumerable]::Average([double[]]$tick.BusyPercent), 2)
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
        LatencyP99Ms             = $result.LatencyP99Ms
        Report                   = $report.Html
        Summary                  = $report.SummaryJson
    }
}
finally {
    if ($sampler) { $sampler.Stop(); $sampler.Dispose() }
    if ($load) { $load.Stop(); $load.Dispose() }
    if ($server) { Stop-NetpollServer -Name $name -Force }
    if ($snapshot) {
        $restored = @(Restore-NetpollTuning -Snapshot $snapshot -Confirm:$false -WarningAction SilentlyContinue)
        Write-Step "tuning restored ($($restored.Count) items)"
    }
}
