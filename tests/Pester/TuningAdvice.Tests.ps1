#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Test-NetpollTuning and Set-NetpollTuning agree, change no more than needed, and say when a target is out of reach.

BeforeAll {
    $script:manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
    Import-Module $manifest -Force
    # This same pwsh, as a child process (run from $PSHOME; under 'dotnet pwsh' the process itself is dotnet).
    $script:pwsh = Join-Path $PSHOME 'pwsh'

    # What if: lines go to the host, so -WhatIf runs in a child pwsh whose output is read back.
    function script:WhatIfTargets([string] $Arguments) {
        $lines = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Set-NetpollTuning $Arguments -WhatIf -WarningAction SilentlyContinue" 2>&1
        @($lines | ForEach-Object { "$_" } | Where-Object { $_ -match '^What if: .* on target "(.+)"\.$' } | ForEach-Object { $Matches[1] })
    }

    function script:Flagged([int] $Connections, [string] $Role) {
        @(Test-NetpollTuning -Connections $Connections -Role $Role -WarningAction SilentlyContinue | Where-Object { $_.Status -in 'Warn', 'Fail' -and $null -ne $_.Target })
    }

    $script:canRaiseHardLimit = $IsLinux -and ((Get-Content /proc/self/status | Where-Object { $_ -like 'CapEff:*' }) -replace 'CapEff:\s*', '' | ForEach-Object { ([Convert]::ToUInt64($_, 16) -band (1 -shl 24)) -ne 0 })
}

Describe 'Set-NetpollTuning changes exactly what Test-NetpollTuning flags' -Skip:(-not $IsLinux) {
    It 'leaves ip_local_port_range alone when the range already holds the connections' {
        (Test-NetpollTuning -Connections 500 -Role Client | Where-Object Setting -eq 'net.ipv4.ip_local_port_range').Status | Should -Be 'Pass'
        WhatIfTargets '-Connections 5 -Role Client' | Should -Not -Contain 'net.ipv4.ip_local_port_range'
        WhatIfTargets '-Connections 500 -Role Client' | Should -Not -Contain 'net.ipv4.ip_local_port_range'
    }

    It 'widens a short port range only as far as the connections need, never below 1024' {
        $check = Test-NetpollTuning -Connections 40000 -Role Client | Where-Object Setting -eq 'net.ipv4.ip_local_port_range'
        $current = [long[]]($check.Current -split ' ')
        if (($current[1] - $current[0] + 1) -ge 40000) {
            $check.Target | Should -BeNullOrEmpty
        }
        else {
            $target = [long[]]($check.Target -split ' ')
            $target[0] | Should -BeGreaterOrEqual 1024
            $target[1] - $target[0] + 1 | Should -BeGreaterOrEqual 40000
            $target[1] - $target[0] + 1 | Should -BeLessOrEqual 44002
            $target[0] | Should -BeGreaterThan 1024 -Because 'a range from 1024 would take ports that services use'
        }
    }

    It 'proposes a change for each setting Test flags and for nothing else' {
        foreach ($case in @{ Connections = 40000; Role = 'Client' }, @{ Connections = 15000; Role = 'Server' }, @{ Connections = 5; Role = 'Client' }) {
            $flagged = Flagged @case
            $proposed = WhatIfTargets "-Connections $($case.Connections) -Role $($case.Role)"
            foreach ($setting in $proposed) {
                $flagged.Setting | Should -Contain $setting -Because "Set-NetpollTuning -Connections $($case.Connections) -Role $($case.Role) proposes $setting"
            }

            # A flagged setting is proposed unless it cannot move from here: the hard open-file limit without
            # CAP_SYS_RESOURCE, and the soft limit once it sits at that hard limit (Set says so per setting).
            $hard = (Get-NetpollTuning -Setting RLIMIT_NOFILE.hard).Value
            $stuck = @(if (-not $canRaiseHardLimit) { 'RLIMIT_NOFILE.hard' }) + @($flagged | Where-Object { $_.Setting -eq 'RLIMIT_NOFILE.soft' -and $_.Current -eq $hard -and -not $canRaiseHardLimit } | ForEach-Object Setting)
            foreach ($check in $flagged | Where-Object Setting -notin $stuck) {
                $proposed | Should -Contain $check.Setting -Because "Test-NetpollTuning flags $($check.Setting) for $($case.Connections) as $($case.Role)"
            }
        }
    }

    It 'changes tcp_fin_timeout when Test warns on it, and not otherwise' {
        $check = Test-NetpollTuning -Connections 1000 -Role Client | Where-Object Setting -eq 'net.ipv4.tcp_fin_timeout'
        $proposed = WhatIfTargets '-Connections 1000 -Role Client'
        if ($check.Status -eq 'Warn') {
            $check.Target | Should -Be '30'
            $proposed | Should -Contain 'net.ipv4.tcp_fin_timeout'
        }
        else {
            $proposed | Should -Not -Contain 'net.ipv4.tcp_fin_timeout'
        }
    }
}

Describe 'A target out of reach is said, not just attempted' {
    It 'warns when no tuning gives a client enough ephemeral ports' {
        $summary = Test-NetpollTuning -Connections 100000 -Role Client -Summary -WarningAction SilentlyContinue
        $summary.ReachableConnections | Should -BeLessThan 100000
        Set-NetpollTuning -Connections 100000 -Role Client -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -HaveCount 1
        "$($warned[0])" | Should -Be $summary.OutOfReach
        "$($warned[0])" | Should -Match 'out of reach'
    }

    It 'warns that the open-file hard limit cannot be raised without CAP_SYS_RESOURCE' -Skip:(-not $IsLinux) {
        Set-NetpollTuning -Connections 50000 -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
        $summary = Test-NetpollTuning -Connections 50000 -Summary -WarningAction SilentlyContinue
        if ($canRaiseHardLimit) {
            $summary.ReachableConnections | Should -BeGreaterOrEqual 50000
            $warned | Should -HaveCount 0
        }
        else {
            $hard = [long](Get-NetpollTuning -Setting RLIMIT_NOFILE.hard).Value
            $summary.ReachableConnections | Should -Be ($hard - 256)
            "$($warned[0])" | Should -Match 'RLIMIT_NOFILE hard limit'
            "$($warned[0])" | Should -Match 'CAP_SYS_RESOURCE'
        }
    }
}

Describe 'Test-NetpollTuning output' {
    It 'is one type, so Export-Csv writes only check rows' {
        $checks = Test-NetpollTuning -Connections 1000000 -Role InProcess -WarningAction SilentlyContinue
        @($checks | ForEach-Object { $_.GetType().Name } | Select-Object -Unique) | Should -Be @('NetpollTuningCheck')
        $path = Join-Path $TestDrive 'checks.csv'
        $checks | Export-Csv -Path $path
        Get-Content $path | Where-Object { $_ -match '^(,|"",)' } | Should -BeNullOrEmpty
        @(Import-Csv $path).Count | Should -Be @($checks).Count
    }

    It 'gives the verdict with -Summary and warns when the count is out of reach' {
        $summary = Test-NetpollTuning -Connections 100000 -Role Client -Summary -WarningVariable warned -WarningAction SilentlyContinue
        $summary | Should -BeOfType ([Netpoll.PowerShell.Tuning.NetpollTuningSummary])
        $warned | Should -HaveCount 1
    }
}

Describe 'Get-NetpollTuning -Setting' {
    It 'reports a name that matches nothing as ObjectNotFound, listing the names there are' {
        Get-NetpollTuning -Setting nope -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -Be 'NetpollTuningSettingNotFound,Netpoll.PowerShell.GetNetpollTuningCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].Exception.Message | Should -Match 'RLIMIT_NOFILE\.soft'
        Get-NetpollTuning -Setting 'no.such.*' -ErrorVariable quiet | Should -BeNullOrEmpty
        $quiet | Should -HaveCount 0
    }

    It 'completes setting names with Tab' {
        $names = (TabExpansion2 -inputScript 'Get-NetpollTuning -Setting RLIMIT' -cursorColumn 33).CompletionMatches.CompletionText
        $names | Should -Contain 'RLIMIT_NOFILE.soft'
        $names | Should -Contain 'RLIMIT_NOFILE.hard'
    }
}
