<#
.SYNOPSIS
    Loads one service from several machines at once over PowerShell remoting, and merges the results.
.DESCRIPTION
    One machine's ports, file descriptors and cores cap a connection test (about 19,700 connections per
    process here). This script fans the load out over PowerShell sessions (SSH, WinRM, or any PSSession),
    one share per node, and merges the parts into one honest result.
    1. Preflight: Test-NetpollTuning -Role Client on every node for its share. When any node cannot hold its
       share, stops before anything changes, naming each such node's binding constraint.
    2. Tune, only with -Tune: Set-NetpollTuning on every node for its share (a snapshot first, on the node).
    3. Starts every node's Invoke-NetpollLoad together: connections open first, requests begin at one
       moment (-StartAt), so the parts overlap and their timelines align by wall clock.
    4. Merges the parts with Merge-NetpollLoadResult (the merged histogram's percentiles, summed counts, each
       node's part) and writes the connection test's report (samples.csv, pollers.csv, summary.json,
       report.html) for every node and for the whole under -OutputPath.
    5. In a finally block, restores every tuned node's settings, in reverse order, also when a node failed.
    A node that fails mid-run (its session breaks, or its load ends in an error) is named in a warning and
    in the output's FailedNodes; the other nodes' results still merge. The module must be installed on every
    node (Install-PSResource Netpoll), and the nodes' clocks must agree (NTP): -StartAt is wall-clock time.
.PARAMETER Session
    The nodes: open PSSessions (New-PSSession -HostName for SSH, -ComputerName for WinRM). Each runs its
    share of the load in its own remote pwsh process. A node is named by its computer name, or by computer
    name and session name when several sessions go to one computer.
.PARAMETER Target
    The service to load, as every node reaches it: host:port (10.0.0.5:8080, web.example:80). A name is
    resolved on each node.
.PARAMETER Connections
    Connections in all, 1 to 10,000,000, split evenly over the nodes (the first nodes take one more when it
    does not divide). Default 1000.
.PARAMETER Duration
    Seconds the load runs from the common start, 1 to 86400. Default 10.
.PARAMETER Pattern
    What each connection does: PingPong (default), Pipelined, Http or Idle (hold connections open).
.PARAMETER Rate
    Requests per second in all (a fixed-rate, open-model test), split evenly over the nodes; 0 (the
    default) runs a closed loop.
.PARAMETER ConnectRate
    New connections per second on each node while connecting, 0 for as fast as possible. Default 5000.
.PARAMETER Pipeline
    Requests in flight per connection for Pipelined and Http, 1 to 1024. Default 1.
.PARAMETER MessageSize
    Bytes per request for PingPong and Pipelined, 1 to 1048576. Default 256.
.PARAMETER SourceAddress
    Per node, the source addresses its connections spread over (more ephemeral ports): a hashtable from a
    node's name to its addresses, for example @{ 'load1' = '10.0.0.11', '10.0.0.12' }. A node not named uses
    the system's choice. The preflight counts each node's addresses.
.PARAMETER ConnectTimeout
    Seconds each node's connect (and TLS handshake) may take before it counts as ConnectTimeout (Invoke-NetpollLoad's
    default, 10 s, when not given). Lower it when a target name has an address a firewall drops.
.PARAMETER ResponseTimeout
    Seconds a request may wait for its reply before it counts as ResponseTimeout (Invoke-NetpollLoad's default, 5 s).
.PARAMETER StartDelay
    Seconds from the end of the preflight (and tuning) to the common start, in which every node opens its
    connections (and starts its generator, a process of its own with -Isolated): 1 to 3600. Default: the
    time to open a share at -ConnectRate, plus 10 s. A node that is not ready by then fails, named.
.PARAMETER Isolated
    Run each node's generator in its own process (Invoke-NetpollLoad -Isolated), so its connections do not
    count against the session process's open-file limit.
.PARAMETER Tune
    Change the OS settings each node needs for its share with Set-NetpollTuning -Role Client (root for
    sysctls) after a snapshot on that node, and restore them when the test ends, also when a node fails.
    Off by default: the nodes then run as they are.
.PARAMETER OutputPath
    The folder for the reports: one subfolder per node and one named merged. Default:
    distributed-load-<yyyyMMdd-HHmmss> in the current directory.
.EXAMPLE
    $nodes = 'load1', 'load2', 'load3' | ForEach-Object { New-PSSession -HostName $_ -KeyFilePath ~/.ssh/id_ed25519 }
    ./scripts/Invoke-DistributedLoad.ps1 -Session $nodes -Target 10.0.0.5:7000 -Connections 50000 -Duration 60 -Tune
    Holds 50,000 ping-pong connections from three machines for a minute, after tuning each for its share.
.EXAMPLE
    ./scripts/Invoke-DistributedLoad.ps1 -Session $nodes -Target web.example:80 -Pattern Http -Rate 30000 -Connections 3000 -Duration 120
    A fixed 30,000 requests per second across the nodes, with latency from each request's intended send time.
.EXAMPLE
    ./scripts/Invoke-DistributedLoad.ps1 -Session $nodes -Target 10.0.0.5:7000 -Connections 1000000 -WhatIf
    Runs the preflight on every node and says what it would run, changing nothing.
.OUTPUTS
    One object: Result (the merged Netpoll.Load.LoadResult, its Nodes the parts), Requests, Errors,
    LatencyP99Ms, Nodes (the names of the nodes that delivered a result), FailedNodes (Node and Reason of each
    node that did not), StartAt, Report (the merged HTML report), NodeReports (node name to its report) and
    Summary (the merged summary.json).
#>

#Requires -Version 7.6
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [System.Management.Automation.Runspaces.PSSession[]] $Session,

    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [string] $Target,

    [ValidateRange(1, 10000000)]
    [int] $Connections = 1000,

    [ValidateRange(1, 86400)]
    [double] $Duration = 10,

    [ValidateSet('PingPong', 'Pipelined', 'Http', 'Idle')]
    [string] $Pattern = 'PingPong',

    [ValidateRange(0, 10000000)]
    [double] $Rate = 0,

    [ValidateRange(0, 1000000)]
    [int] $ConnectRate = 5000,

    [ValidateRange(1, 1024)]
    [int] $Pipeline = 1,

    [ValidateRange(1, 1048576)]
    [int] $MessageSize = 256,

    [hashtable] $SourceAddress = @{},

    [ValidateRange(0.001, 86400)]
    [double] $ConnectTimeout,

    [ValidateRange(0.001, 86400)]
    [double] $ResponseTimeout,

    [ValidateRange(1, 3600)]
    [double] $StartDelay,

    [switch] $Isolated,

    [switch] $Tune,

    [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module -Name Netpoll)) {
    # Merge-NetpollLoadResult and Export-NetpollReport run here: the repository's module, else the installed one.
    $manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', 'Netpoll.psd1'))
    if (Test-Path -LiteralPath $manifest) { Import-Module $manifest } else { Import-Module Netpoll }
}
if (-not $OutputPath) {
    $OutputPath = [System.IO.Path]::Combine($PWD.Path, 'distributed-load-' + [DateTime]::Now.ToString('yyyyMMdd-HHmmss'))
}
if ($Session.Count -gt $Connections) {
    throw "$($Session.Count) nodes cannot share $Connections connections: give at least one connection per node."
}

function Write-Step([string] $Text) { $Host.UI.WriteLine("[$([DateTime]::Now.ToString('HH:mm:ss'))] $Text") }

# One node per session, each with a unique name and its share of the connections and the rate.
$computers = @($Session | Group-Object ComputerName | Where-Object Count -gt 1 | ForEach-Object Name)
$nodes = for ($i = 0; $i -lt $Session.Count; $i++) {
    $s = $Session[$i]
    $name = if ($s.ComputerName -in $computers) { "$($s.ComputerName)/$($s.Name)" } else { $s.ComputerName }
    $share = [Math]::Floor($Connections / $Session.Count) + [int]($i -lt $Connections % $Session.Count)
    $sources = @($SourceAddress[$name] | Where-Object { $_ } | ForEach-Object { [string]$_ })
    [pscustomobject]@{
        Name = $name; Session = $s; Connections = [int]$share; Rate = $Rate / $Session.Count
        SourceAddress = $sources; SourceAddressCount = [Math]::Max(1, $sources.Count)
        Preflight = $null; Snapshot = $null; TuningChanged = @(); Job = $null; Result = $null; Failure = $null
    }
}
$unknown = @($SourceAddress.Keys | Where-Object { $_ -notin $nodes.Name })
if ($unknown) { throw "-SourceAddress names $($unknown -join ', '), which is no node: the nodes are $($nodes.Name -join ', ')." }

# 1. Preflight on every node (reads only) ----------------------------------------------------------------
$limit = if ($Tune) { 'ReachableConnections' } else { 'MaxConnections' }
$refusals = foreach ($node in $nodes) {
    try {
        $node.Preflight = Invoke-Command -Session $node.Session -ArgumentList $node.Connections, $node.SourceAddressCount -ScriptBlock {
            param($Connections, $SourceAddressCount)
            if (-not (Get-Module -Name Netpoll)) { Import-Module Netpoll -ErrorAction Stop }
            $checks = @(Test-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -WarningAction SilentlyContinue)
            $summary = Test-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -Summary -WarningAction SilentlyContinue
            $summary | Add-Member -NotePropertyName Flagged -NotePropertyValue @($checks | Where-Object Status -ne 'Pass' | ForEach-Object { "$($_.Status): $($_.Setting) = $($_.Current), needs $($_.Required)" }) -PassThru
        }
    }
    catch {
        "$($node.Name): preflight failed: $($_.Exception.Message)"
        continue
    }
    foreach ($line in $node.Preflight.Flagged) { Write-Step "preflight $($node.Name) $line" }
    if ($node.Preflight.$limit -lt $node.Connections) {
        $why = if ($Tune) { $node.Preflight.OutOfReach } else { "$($node.Preflight.Why) -Tune may raise it." }
        "$($node.Name): at most $($node.Preflight.$limit) of its $($node.Connections) connections (binding: $($node.Preflight.BindingConstraint)). $why"
    }
}
if ($refusals) {
    throw "The nodes cannot hold this test:`n$($refusals -join "`n")`nAdd nodes or source addresses, fix the binding constraints, or lower -Connections."
}

$tuned = [System.Collections.Generic.List[object]]::new()
try {
    if (-not $PSCmdlet.ShouldProcess("$($nodes.Count) nodes ($($nodes.Name -join ', ')): $Connections $Pattern connections to $Target for $Duration s$(if ($Tune) { ', tuned first' }), reports in $OutputPath", 'Run the distributed load')) {
        return
    }

    # 2. Tune each node for its share, only when asked ---------------------------------------------------
    if ($Tune) {
        foreach ($node in $nodes) {
            $changes = @(Invoke-Command -Session $node.Session -ArgumentList $node.Connections, $node.SourceAddressCount -ScriptBlock {
                param($Connections, $SourceAddressCount)
                Set-NetpollTuning -Connections $Connections -Role Client -SourceAddressCount $SourceAddressCount -Scope Runtime -Confirm:$false -WarningAction SilentlyContinue
            })
            $node.Snapshot = @($changes | Where-Object { $_.Snapshot })[0].Snapshot
            $node.TuningChanged = @($changes | Where-Object Status -eq 'Changed' | ForEach-Object { "$($_.Setting)=$($_.After)" })
            if ($node.Snapshot) { $tuned.Add($node) }
            foreach ($change in $changes | Where-Object { $_.Status -in 'Changed', 'Failed' }) {
                Write-Step "tuning $($node.Name) $($change.Status): $($change.Setting) $($change.Before) -> $($change.After) $($change.Reason)"
            }
        }
    }

    # 3. Start together: every node opens its connections now, and sends from $startAt on ----------------
    $lead = if ($PSBoundParameters.ContainsKey('StartDelay')) { $StartDelay }
            elseif ($ConnectRate -gt 0) { ($nodes | Measure-Object Connections -Maximum).Maximum / $ConnectRate + 10 }
            else { 10 }
    $startAt = [DateTime]::UtcNow.AddSeconds([Math]::Min($lead, 3600))
    foreach ($node in $nodes) {
        $parameters = @{
            Target = $Target; Connections = $node.Connections; Duration = $Duration; Pattern = $Pattern; ConnectRate = $ConnectRate
            MessageSize = $MessageSize; Pipeline = $Pipeline; StartAt = $startAt; Tag = $node.Name; Isolated = $Isolated.IsPresent
        }
        if ($node.Rate -gt 0) { $parameters.Rate = $node.Rate }
        if ($node.SourceAddress) { $parameters.SourceAddress = $node.SourceAddress }
        if ($PSBoundParameters.ContainsKey('ConnectTimeout')) { $parameters.ConnectTimeout = [TimeSpan]::FromSeconds($ConnectTimeout) }
        if ($PSBoundParameters.ContainsKey('ResponseTimeout')) { $parameters.ResponseTimeout = [TimeSpan]::FromSeconds($ResponseTimeout) }
        $node.Job = Invoke-Command -Session $node.Session -AsJob -JobName "netpoll-load-$($node.Name)" -ArgumentList $parameters -ScriptBlock {
            param($Parameters)
            Invoke-NetpollLoad @Parameters
        }
    }
    Write-Step "$($nodes.Count) nodes connecting; requests begin at $($startAt.ToLocalTime().ToString('HH:mm:ss.fff')) and run $Duration s against $Target"

    $deadline = $startAt.AddSeconds($Duration + 120)
    $activity = [System.Management.Automation.ProgressRecord]::new(1, "Distributed load: $Connections $Pattern connections from $($nodes.Count) nodes", 'connecting')
    while (@($nodes.Job | Where-Object State -in 'NotStarted', 'Running').Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) {
        $running = @($nodes | Where-Object { $_.Job.State -eq 'Running' }).Count
        $elapsed = ([DateTime]::UtcNow - $startAt).TotalSeconds
        $activity.StatusDescription = if ($elapsed -lt 0) { "$running nodes connecting; start in $([Math]::Ceiling(-$elapsed)) s" } else { "$running nodes running, $([Math]::Floor($elapsed)) of $Duration s" }
        $activity.PercentComplete = [int][Math]::Clamp(100 * $elapsed / $Duration, 0, 100)
        $PSCmdlet.WriteProgress($activity)
        $null = Wait-Job -Job $nodes.Job -Any -Timeout 1
        Start-Sleep -Milliseconds 500
    }
    $activity.RecordType = 'Completed'
    $PSCmdlet.WriteProgress($activity)

    # 4. Merge what came back; a node without a result is named, not hidden ------------------------------
    foreach ($node in $nodes) {
        if ($node.Job.State -in 'NotStarted', 'Running') {
            Stop-Job -Job $node.Job
            $node.Failure = "no result $Duration s after the start (plus 120 s): stopped"
            continue
        }
        $output = @(Receive-Job -Job $node.Job -ErrorAction SilentlyContinue -ErrorVariable problems)
        $node.Result = @($output | Where-Object { $_.PSObject.TypeNames -contains 'Deserialized.Netpoll.Load.LoadResult' -or $_ -is [Netpoll.Load.LoadResult] })[0]
        $reason = (@($problems) + @($node.Job.ChildJobs.JobStateInfo.Reason) | Where-Object { $_ } | ForEach-Object { if ($_.Exception) { $_.Exception.Message } else { "$_" } }) -join '; '
        if (-not $node.Result) {
            $node.Failure = if ($reason) { $reason } else { "the node's job ended $($node.Job.State) with no result" }
        }
    }
    $failed = @($nodes | Where-Object Failure)
    foreach ($node in $failed) { Write-Warning "Node $($node.Name) failed: $($node.Failure)" }
    $delivered = @($nodes | Where-Object Result)
    if (-not $delivered) {
        throw "Every node failed, so there is nothing to merge: $(($failed | ForEach-Object { "$($_.Name): $($_.Failure)" }) -join '; ')"
    }
    $merged = $delivered.Result | Merge-NetpollLoadResult

    # 5. Reports: each node's and the whole, in the connection test's format ----------------------------
    $reports = [ordered]@{}
    foreach ($node in $delivered) {
        $part = @($merged.Nodes | Where-Object Tag -eq $node.Name)[0]
        $facts = [ordered]@{
            Date = [DateTimeOffset]::Now.ToString('o'); Node = $node.Name; Target = $Target; Pattern = $Pattern
            ConnectionsRequested = $node.Connections; DurationSeconds = $Duration; StartAt = $startAt.ToString('o')
            SourceAddressCount = $node.SourceAddressCount; MaxConnectionsAllowed = $node.Preflight.$limit
            BindingConstraint = $node.Preflight.BindingConstraint; BindingWhy = $node.Preflight.Why; TuningChanged = $node.TuningChanged
        }
        $reports[$node.Name] = (Export-NetpollReport -Path (Join-Path $OutputPath ($node.Name -replace '[^\w.-]', '_')) -LoadResult $part -Summary $facts -Title "Netpoll distributed load: node $($node.Name), $($node.Connections) $Pattern connections").Html
    }
    $facts = [ordered]@{
        Date = [DateTimeOffset]::Now.ToString('o'); Target = $Target; Pattern = $Pattern; ConnectionsRequested = $Connections
        DurationSeconds = $Duration; StartAt = $startAt.ToString('o'); Nodes = @($nodes.Name); NodesDelivered = @($delivered.Name)
        FailedNodes = @($failed | ForEach-Object { "$($_.Name): $($_.Failure)" })
        NodeShares = @($nodes | ForEach-Object { "$($_.Name)=$($_.Connections)" })
        BindingConstraints = @($nodes | ForEach-Object { "$($_.Name): $($_.Preflight.BindingConstraint) (at most $($_.Preflight.$limit))" })
        TuningChanged = @($nodes | Where-Object { $_.TuningChanged } | ForEach-Object { "$($_.Name): $($_.TuningChanged -join ', ')" })
    }
    $report = Export-NetpollReport -Path (Join-Path $OutputPath 'merged') -LoadResult $merged -Summary $facts -Title "Netpoll distributed load: $Connections $Pattern connections from $($nodes.Count) nodes"
    Write-Step "merged $($delivered.Count) of $($nodes.Count) nodes: $($merged.Requests) requests, $($merged.Errors) errors, p99 $([Math]::Round([double]$merged.LatencyP99Ms, 3)) ms"
    Write-Step "report: $($report.Html)"
    [pscustomobject]@{
        Result       = $merged
        Requests     = $merged.Requests
        Errors       = $merged.Errors
        LatencyP99Ms = $merged.LatencyP99Ms
        Nodes        = @($delivered.Name)
        FailedNodes  = @($failed | ForEach-Object { [pscustomobject]@{ Node = $_.Name; Reason = $_.Failure } })
        StartAt      = $startAt
        Report       = $report.Html
        NodeReports  = $reports
        Summary      = $report.SummaryJson
    }
}
finally {
    foreach ($node in $nodes | Where-Object Job) {
        if ($node.Job.State -in 'NotStarted', 'Running') { Stop-Job -Job $node.Job }
        Remove-Job -Job $node.Job -Force
    }
    # Each node puts back what it changed, the last tuned first (nodes that share a machine undo in order).
    for ($i = $tuned.Count - 1; $i -ge 0; $i--) {
        $node = $tuned[$i]
        try {
            $restored = @(Invoke-Command -Session $node.Session -ArgumentList $node.Snapshot -ScriptBlock {
                param($Snapshot)
                Restore-NetpollTuning -Snapshot $Snapshot -Confirm:$false -WarningAction SilentlyContinue
            })
            Write-Step "tuning restored on $($node.Name) ($($restored.Count) items)"
        }
        catch {
            Write-Warning "Tuning NOT restored on $($node.Name): $($_.Exception.Message). On that node run: Restore-NetpollTuning -Snapshot '$($node.Snapshot)'"
        }
    }
}
