#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Load fanned out over PowerShell remoting: results that cross it whole, Merge-NetpollLoadResult, -StartAt and
# -Tag, and scripts/Invoke-DistributedLoad.ps1 over jobs, out-of-process sessions (the transport jobs use) and
# real SSH to this machine. Every node loads a server in this process on loopback, bounded in count and time.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    $script:manifest = Get-RepositoryPath 'Netpoll.psd1'
    $script:distributed = Get-RepositoryPath 'scripts', 'Invoke-DistributedLoad.ps1'
    Import-Module $manifest -Force
    $script:echo = Start-NetpollServer -Name 'pester-dl-echo' -Protocol Echo -Port 0 -Pollers 2

    function script:New-ProcessSession {
        # A session to a new pwsh process over the out-of-process transport Start-Job uses: results come back
        # serialized exactly as over SSH or WinRM.
        $process = [System.Management.Automation.Runspaces.PowerShellProcessInstance]::new()
        $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateOutOfProcessRunspace($null, $process)
        $runspace.Open()
        [pscustomobject]@{ Session = [System.Management.Automation.Runspaces.PSSession]::Create($runspace, 'Process', $null); Process = $process.Process }
    }

    function script:Wait-ServerSettled([string] $Name) {
        # The server counts a connection's bytes and its close on its own pollers: wait (bounded) until every one it accepted has closed.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            $stats = Get-NetpollStats -Name $Name -Aggregate
            if ($stats.Connections -eq 0 -and $stats.Closed -eq $stats.Accepted) { return $stats }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        $stats
    }

    function script:Invoke-LoadParts([string] $Starter, [string[]] $Tags, $Target, [datetime] $StartAt, [hashtable] $Load, [int] $TimeoutSeconds) {
        # One Invoke-NetpollLoad per tag, each in a job of its own (Start-ThreadJob or Start-Job), all starting at StartAt.
        $jobs = foreach ($tag in $Tags) {
            & $Starter -ArgumentList $manifest, $Target, $StartAt, $tag, $Load -ScriptBlock {
                param($Manifest, $Target, $StartAt, $Tag, $Load)
                Import-Module $Manifest
                Invoke-NetpollLoad -Target $Target -StartAt $StartAt -Tag $Tag @Load
            }
        }
        @($jobs | Wait-Job -Timeout $TimeoutSeconds | Receive-Job)
        $jobs | Remove-Job -Force
    }

    function script:Get-FinTimeout { (Get-NetpollTuning -Setting net.ipv4.tcp_fin_timeout).Value }
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'A LoadResult after CliXml' {
    BeforeAll {
        $script:live = $echo | Invoke-NetpollLoad -Connections 4 -Requests 4000 -MessageSize 64 -Tag 'here'
        $script:copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($live))
    }

    It 'still has every percentile, read from the histograms it carries' {
        $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.Netpoll.Load.LoadResult'
        foreach ($histogram in 'LatencyHistogram', 'ServiceTimeHistogram', 'ConnectHistogram') {
            foreach ($percentile in 0, 50, 90, 99, 99.9, 99.99, 100) {
                [Netpoll.Load.LoadResult]::Percentile($copy.$histogram, $percentile) | Should -Be ([Netpoll.Load.LoadResult]::Percentile($live.$histogram, $percentile))
            }
        }
        $copy.Tag | Should -Be 'here'
    }

    It 'merges back into the result it was' {
        $merged = $copy | Merge-NetpollLoadResult
        $merged | Should -BeOfType [Netpoll.Load.LoadResult]
        foreach ($property in 'Requests', 'BytesSent', 'BytesReceived', 'ConnectionsOpened', 'LatencyP50', 'LatencyP99', 'LatencyP999', 'LatencyMax', 'ServiceTimeP99', 'ConnectP99') {
            $merged.$property | Should -Be $live.$property -Because $property
        }
        "$($merged.StatusCodes)" | Should -Be "$($live.StatusCodes)"
        $merged.Nodes.Tag | Should -Be 'here'
    }

    It 'refuses what is not a load result, by name, and merges the rest' {
        $merged = $copy, [pscustomobject]@{ Requests = 5 } | Merge-NetpollLoadResult -ErrorVariable problems -ErrorAction SilentlyContinue
        $merged.Requests | Should -Be $live.Requests
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NetpollLoadResultInvalid,*'
        $problems[0].Exception.Message | Should -BeLike '*is not a load result*'
        { @() | Merge-NetpollLoadResult -ErrorAction Stop } | Should -Throw -ErrorId 'NetpollNoLoadResults,Netpoll.PowerShell.MergeNetpollLoadResultCommand'
    }
}

Describe 'Invoke-NetpollLoad -StartAt' {
    It 'refuses a time in the past or more than an hour ahead at binding, saying how far off' {
        { Invoke-NetpollLoad -Target $echo.EndPoint -Requests 10 -StartAt (Get-Date).AddSeconds(-5) } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Netpoll.PowerShell.InvokeNetpollLoadCommand' -ExpectedMessage '*s in the past*'
        { Invoke-NetpollLoad -Target $echo.EndPoint -Requests 10 -StartAt ([DateTime]::UtcNow.AddHours(3)) } |
            Should -Throw -ExpectedMessage '*min ahead; at most 60 min*'
    }

    It 'opens the connections first and sends from the start on' {
        $startAt = (Get-Date).AddSeconds(2)
        $result = Invoke-NetpollLoad -Target $echo.EndPoint -Connections 3 -Duration 1 -StartAt $startAt
        $result.StartTime.UtcDateTime | Should -Be $startAt.ToUniversalTime()
        [DateTime]::UtcNow | Should -BeGreaterThan $startAt.ToUniversalTime().AddSeconds(1)
        $result.Requests | Should -BeGreaterThan 0
        $result.Timeline[0].ConnectionsOpen | Should -Be 3
    }
}

Describe 'Two parts through Start-ThreadJob, merged' {
    BeforeAll {
        # The repro of a merged last sample at 25x the rate: parts sample every 0.5 s on their own clocks, and a part held
        # at its sample before the last whole second put half a second of requests into the last few hundredths.
        $startAt = [DateTime]::UtcNow.AddSeconds(5)
        $script:threadParts = Invoke-LoadParts Start-ThreadJob ('thread1', 'thread2') $echo.EndPoint $startAt @{ Connections = 2; Duration = 2; MessageSize = 64 } 60
        $script:threadMerged = $threadParts | Merge-NetpollLoadResult
    }

    It 'has no sample faster than the parts at their fastest together, and samples that add up to the total' {
        $threadParts.Count | Should -Be 2
        $peaks = ($threadParts | ForEach-Object { ($_.Timeline | Measure-Object RequestsPerSecond -Maximum).Maximum } | Measure-Object -Sum).Sum
        $previous = 0
        foreach ($sample in $threadMerged.Timeline) {
            $sample.RequestsPerSecond | Should -BeLessOrEqual ($peaks * 1.000001) -Because "the sample at $($sample.Elapsed) counts only the requests made in its window"
            $previous = $sample.Requests
        }
        $previous | Should -Be $threadMerged.Requests
    }
}

Describe 'Three nodes through Start-Job' {
    BeforeAll {
        $server = Start-NetpollServer -Name 'pester-dl-jobs' -Protocol Echo -Port 0 -Pollers 2
        # Starting a job's pwsh and importing the module takes seconds on a busy machine: the start leaves room.
        $startAt = [DateTime]::UtcNow.AddSeconds(45)
        $script:parts = Invoke-LoadParts Start-Job ('job1', 'job2', 'job3') $server.EndPoint $startAt @{ Connections = 3; Requests = 3000; MessageSize = 128 } 150
        $script:merged = $parts | Merge-NetpollLoadResult
        $script:counters = Wait-ServerSettled 'pester-dl-jobs'
        $script:jobStart = $startAt
    }

    It 'brings every part back deserialized, as remoting does' {
        $parts.Count | Should -Be 3
        $parts | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'Deserialized.Netpoll.Load.LoadResult' }
        $parts | ForEach-Object { $_.StartTime.UtcTicks | Should -Be $jobStart.Ticks }
    }

    It 'merges into counts that equal the server''s counters' {
        $merged.Requests | Should -Be 9000
        $merged.Errors | Should -Be 0
        $merged.ConnectionsOpened | Should -Be $counters.Accepted
        $merged.BytesSent | Should -Be $counters.BytesIn
        $merged.BytesReceived | Should -Be $counters.BytesOut
        $counters.BytesIn | Should -Be (9000 * 128)
    }

    It 'keeps each node''s part by its tag' {
        $merged.Nodes.Tag | Sort-Object | Should -Be 'job1', 'job2', 'job3'
        $merged.Nodes | ForEach-Object { $_.Requests | Should -Be 3000 }
    }

    It 'takes its percentiles from the merged histogram: within the parts'' range, the max the largest part''s' {
        $merged.LatencyP99 | Should -Be ([Netpoll.Load.LoadResult]::Percentile($merged.LatencyHistogram, 99))
        $merged.LatencyMax | Should -Be ($parts.LatencyMax | Sort-Object -Descending | Select-Object -First 1)
        foreach ($percentile in 'LatencyP50', 'LatencyP90', 'LatencyP99') {
            $merged.$percentile | Should -BeGreaterOrEqual ($parts.$percentile | Sort-Object | Select-Object -First 1)
            $merged.$percentile | Should -BeLessOrEqual ($parts.$percentile | Sort-Object -Descending | Select-Object -First 1)
        }
    }

    It 'aligns the parts'' timelines on the wall clock from the common start' {
        $merged.StartTime.UtcTicks | Should -Be $jobStart.Ticks
        $merged.Timeline.Count | Should -BeGreaterThan 0
        $merged.Timeline[-1].Requests | Should -Be 9000
        $merged.Timeline[-1].ConnectionsTarget | Should -Be 9
    }
}

Describe 'scripts/Invoke-DistributedLoad.ps1' {
    It 'stops before changing anything when a node cannot hold its share, naming each node''s binding constraint' {
        $node = New-ProcessSession
        try {
            Invoke-Command -Session $node.Session -ArgumentList $manifest { param($Manifest) Import-Module $Manifest }
            $fin = Get-FinTimeout
            { & $distributed -Session $node.Session -Target $echo.EndPoint -Connections 30000 -Tune -OutputPath (Join-Path $TestDrive 'refused') } |
                Should -Throw -ExpectedMessage '*localhost: at most * of its 30000 connections (binding: RLIMIT_NOFILE*'
            Get-FinTimeout | Should -Be $fin
            Join-Path $TestDrive 'refused' | Should -Not -Exist
        }
        finally { Remove-PSSession $node.Session }
    }

    Context 'over three out-of-process sessions, one of which fails mid-run' {
        BeforeAll {
            $server = Start-NetpollServer -Name 'pester-dl-script' -Protocol Echo -Port 0 -Pollers 2
            $script:nodes = @(1..3 | ForEach-Object { New-ProcessSession })
            $script:states = @()
            foreach ($i in 0..2) {
                $state = Join-Path $TestDrive "tuning-state-$i"
                $script:states += $state
                Invoke-Command -Session $nodes[$i].Session -ArgumentList $manifest, $state {
                    param($Manifest, $State)
                    $env:NETPOLL_TUNING_STATE = $State
                    Import-Module $Manifest
                }
            }
            $script:finBefore = Get-FinTimeout

            # The first node's generator (its -Isolated worker, a child of the node's pwsh) is killed mid-run: 1.5 s after
            # the server starts receiving requests (connections open during the 10 s before the common start, silent).
            $killer = [powershell]::Create().AddScript({
                param($Manifest, $Parent, $Server)
                Import-Module $Manifest
                $deadline = [DateTime]::UtcNow.AddSeconds(120)
                $worker = $null
                while (-not $worker -and [DateTime]::UtcNow -lt $deadline) {
                    $worker = ps -o pid=,args= --ppid $Parent | Where-Object { $_ -like '*netpoll-load.dll*' } | ForEach-Object { (-split $_)[0] } | Select-Object -First 1
                    if (-not $worker) { Start-Sleep -Milliseconds 100 }
                }
                $before = (Get-NetpollStats -Name $Server -Aggregate).BytesIn
                while ((Get-NetpollStats -Name $Server -Aggregate).BytesIn -eq $before -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
                Start-Sleep -Milliseconds 1500
                Stop-Process -Id ([int]$worker) -Force
                [int]$worker
            }).AddArgument($manifest).AddArgument($nodes[0].Process.Id).AddArgument('pester-dl-script')
            $killing = $killer.BeginInvoke()
            $script:output = Join-Path $TestDrive 'distributed'
            $script:run = & $distributed -Session $nodes.Session -Target $server.EndPoint -Connections 9 -Duration 4 -StartDelay 10 -MessageSize 64 -ConnectTimeout 30 -ResponseTimeout 30 -Isolated -Tune -OutputPath $output -WarningVariable warned -WarningAction SilentlyContinue
            $script:killed = $killer.EndInvoke($killing)
            $killer.Dispose()
            $script:warnings = $warned
            $script:counters = Wait-ServerSettled 'pester-dl-script'
            $script:finAfter = Get-FinTimeout
            $script:names = @($nodes.Session | ForEach-Object { "localhost/$($_.Name)" })
        }

        AfterAll {
            $nodes.Session | Remove-PSSession
        }

        It 'names the failed node, with why' {
            $killed | Should -Not -BeNullOrEmpty -Because 'the first node''s load worker ran and was killed'
            $run.FailedNodes.Node | Should -Be $names[0] -Because "$($run.FailedNodes | Out-String)"
            $run.FailedNodes[0].Reason | Should -BeLike '*load worker exited*'
            $warnings | Where-Object { "$_" -like "Node $($names[0]) failed:*" } | Should -Not -BeNullOrEmpty
        }

        It 'merges the others, whose counts the server saw' {
            $run.Nodes | Should -Be $names[1], $names[2]
            $run.Result.Nodes.Tag | Should -Be $names[1], $names[2]
            $run.Requests | Should -BeGreaterThan 0
            $run.Requests | Should -Be (($run.Result.Nodes | Measure-Object Requests -Sum).Sum)
            $run.Result.ConnectionsRequested | Should -Be 6
            # The killed node's connections and requests reached the server too: the server saw at least the merged ones.
            $counters.Accepted | Should -BeGreaterOrEqual $run.Result.ConnectionsOpened
            $counters.BytesIn | Should -BeGreaterThan $run.Result.BytesSent
        }

        It 'restores the failed node''s tuning, and every other node''s' {
            $finBefore | Should -Be '60' -Because 'net.ipv4.tcp_fin_timeout above 30 is what -Tune changes for a client here'
            @(Get-ChildItem $states[0] -Filter 'snapshot-*.json.restored').Count | Should -Be 1 -Because 'the first node tuned, then failed'
            foreach ($state in $states) {
                @(Get-ChildItem $state -Filter 'snapshot-*.json' -ErrorAction SilentlyContinue).Count | Should -Be 0 -Because "no snapshot in $state is left unrestored"
            }
            $finAfter | Should -Be $finBefore
        }

        It 'writes the connection test''s report for each node that delivered and for the whole' {
            foreach ($folder in 'merged', ($names[1] -replace '/', '_'), ($names[2] -replace '/', '_')) {
                foreach ($file in 'samples.csv', 'pollers.csv', 'summary.json', 'report.html') {
                    Join-Path $output $folder $file | Should -Exist
                }
            }
            Join-Path $output ($names[0] -replace '/', '_') | Should -Not -Exist
            $summary = Get-Content -Raw (Join-Path $output 'merged' 'summary.json') | ConvertFrom-Json
            $summary.FailedNodes | Should -BeLike "$($names[0]): *"
            $summary.Load.Requests | Should -Be $run.Requests
            (Get-Content -Raw (Join-Path $output 'merged' 'report.html')) | Should -BeLike '*<svg*'
        }
    }
}

Describe 'scripts/Invoke-DistributedLoad.ps1 over real SSH remoting' {
    BeforeAll {
        # A throwaway sshd on a free loopback port with its own host key, the test's user key and the PowerShell
        # subsystem. The subsystem runs $PSHOME/pwsh: the apphost PowerShell's package ships beside pwsh.dll,
        # which finds the .NET runtime on its own. ('dotnet pwsh' is a tool-manifest command and
        # /work/tools/pwsh/pwsh a global-tool shim that starts 'dotnet' from PATH: neither is an executable
        # sshd can name as a subsystem in a bare environment.)
        $script:skip = $null
        $sshd = Get-Command sshd -ErrorAction SilentlyContinue
        $sshd = if ($sshd) { $sshd.Source } elseif (Test-Path /usr/sbin/sshd) { '/usr/sbin/sshd' }
        if (-not $sshd -and (Get-Command apt-get -ErrorAction SilentlyContinue) -and (id -u) -eq '0') {
            $install = Invoke-BoundedProcess -FilePath apt-get -ArgumentList 'install', '-y', '-q', 'openssh-server' -Environment @{ DEBIAN_FRONTEND = 'noninteractive' } -TimeoutSeconds 300
            if (Test-Path /usr/sbin/sshd) { $sshd = '/usr/sbin/sshd' } else { $script:skip = "sshd is not installed and apt-get install openssh-server failed: $($install.Stderr.Trim())" }
        }
        elseif (-not $sshd) { $script:skip = 'sshd is not installed (Debian: apt-get install openssh-server), and this user cannot install it' }
        $pwshApp = Join-Path $PSHOME 'pwsh'
        if (-not $skip -and -not (Test-Path $pwshApp)) { $script:skip = "no pwsh executable in $PSHOME for the sshd subsystem" }

        if (-not $skip) {
            $dir = Join-Path ([System.IO.Path]::GetTempPath()) "netpoll-sshd-$([guid]::NewGuid().ToString('N'))"
            $script:sshDir = $dir
            $null = New-Item -ItemType Directory -Path $dir, (Join-Path $dir 'home/.local/share'), (Join-Path $dir 'home/.config'), (Join-Path $dir 'home/.cache'), (Join-Path $dir 'tuning')
            foreach ($key in 'host_key', 'user_key') { ssh-keygen -q -t ed25519 -N '' -f (Join-Path $dir $key) 2>&1 | Out-Null }
            Copy-Item (Join-Path $dir 'user_key.pub') (Join-Path $dir 'authorized_keys')
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $script:port = $listener.LocalEndpoint.Port; $listener.Stop()
            # The node's user: home, module path, PSResourceGet's settings and tuning snapshots under $dir, not this user's.
            @"
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
SetEnv HOME=$dir/home XDG_DATA_HOME=$dir/home/.local/share XDG_CONFIG_HOME=$dir/home/.config XDG_CACHE_HOME=$dir/home/.cache NETPOLL_TUNING_STATE=$dir/tuning
Subsystem powershell $pwshApp -sshs -NoLogo
"@ | Set-Content (Join-Path $dir 'sshd_config')
            $null = New-Item -ItemType Directory -Path /run/sshd -Force -ErrorAction SilentlyContinue
            $start = Invoke-BoundedProcess -FilePath $sshd -ArgumentList '-f', (Join-Path $dir 'sshd_config'), '-E', (Join-Path $dir 'sshd.log') -TimeoutSeconds 30
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (Test-Path (Join-Path $dir 'sshd.pid')) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            if (-not (Test-Path (Join-Path $dir 'sshd.pid'))) {
                $script:skip = "sshd could not be started: exit $($start.ExitCode) $($start.Stderr.Trim()) $(Get-Content (Join-Path $dir 'sshd.log') -Raw -ErrorAction SilentlyContinue)"
            }
        }

        if (-not $skip) {
            $options = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }
            $script:sessions = @(1..2 | ForEach-Object {
                New-PSSession -HostName localhost -Port $port -UserName (id -un) -KeyFilePath (Join-Path $dir 'user_key') -Options $options -ErrorAction Stop
            })

            # Install the built package on the "node" as a user would: PSResourceGet from a local repository.
            $package = @(Get-ChildItem -Path (Get-RepositoryPath 'artifacts', 'packages') -Filter 'Netpoll.*.nupkg')[0]
            $repository = Join-Path $dir 'repository'
            $null = New-Item -ItemType Directory -Path $repository
            Copy-Item -LiteralPath $package.FullName -Destination $repository
            $script:installed = Invoke-Command -Session $sessions[0] -ArgumentList $repository -ScriptBlock {
                param($Repository)
                Register-PSResourceRepository -Name NetpollLocal -Uri $Repository -Trusted
                Install-PSResource Netpoll -Repository NetpollLocal -Scope CurrentUser -ErrorAction Stop
                (Get-Module Netpoll -ListAvailable).ModuleBase
            }
            $script:server = Start-NetpollServer -Name 'pester-dl-ssh' -Protocol Echo -Port 0 -Pollers 2
            $script:output = Join-Path $TestDrive 'ssh'
            $script:run = & $distributed -Session $sessions -Target $server.EndPoint -Connections 6 -Duration 2 -StartDelay 5 -MessageSize 64 -OutputPath $output
            $script:counters = Wait-ServerSettled 'pester-dl-ssh'
        }
    }

    AfterAll {
        if ($sessions) { $sessions | Remove-PSSession }
        if ($sshDir -and (Test-Path (Join-Path $sshDir 'sshd.pid'))) {
            Stop-Process -Id ([int](Get-Content (Join-Path $sshDir 'sshd.pid'))) -Force -ErrorAction SilentlyContinue
        }
        if ($sshDir) { Remove-Item $sshDir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'installs the module package on the node, under the node user''s module path' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $installed | Should -BeLike "$sshDir/home/.local/share/powershell/Modules/Netpoll/*"
    }

    It 'runs the script with two SSH sessions and merges counts that equal the server''s counters' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $run.FailedNodes | Should -BeNullOrEmpty
        $run.Nodes | Should -Be @($sessions | ForEach-Object { "localhost/$($_.Name)" }) -Because 'two sessions to one computer are named by session'
        $run.Result.ConnectionsOpened | Should -Be 6
        $run.Requests | Should -BeGreaterThan 0
        $run.Result.ConnectionsOpened | Should -Be $counters.Accepted
        # A timed run ends with a request in flight per connection: the server read every request that completed.
        $counters.BytesIn | Should -BeGreaterOrEqual ($run.Requests * 64)
        $run.Result.Nodes | ForEach-Object { $_.StartTime.UtcTicks | Should -Be $run.StartAt.ToUniversalTime().Ticks }
        Join-Path $output 'merged' 'report.html' | Should -Exist
    }
}
