#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Check, apply and restore OS tuning the way an operator's CI would before a large connection test.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:state = Join-Path ([System.IO.Path]::GetTempPath()) "netpoll-pester-$([guid]::NewGuid())"
    $env:NETPOLL_TUNING_STATE = $state
    $script:isRootLinux = $IsLinux -and ((id -u) -eq '0')
}

AfterAll {
    if (Test-Path $state) {
        Get-ChildItem $state -Filter 'snapshot-*.json' | ForEach-Object { Restore-NetpollTuning -Snapshot $_.FullName -Confirm:$false }
        Remove-Item $state -Recurse -Force
    }
    Remove-Item Env:NETPOLL_TUNING_STATE
}

Describe 'Get-NetpollTuning' {
    It 'lists the open-file limits with their source' {
        $limit = Get-NetpollTuning -Setting 'RLIMIT_NOFILE.hard'
        [long]$limit.Value | Should -BeGreaterThan 0
        $limit.Source | Should -BeLike '*getrlimit*'
    }
}

Describe 'Test-NetpollTuning' {
    It 'emits checks, and with -Summary a verdict that names the binding constraint' {
        $results = Test-NetpollTuning -Connections 1000000 -Role InProcess -WarningAction SilentlyContinue
        $summary = Test-NetpollTuning -Connections 1000000 -Role InProcess -Summary -WarningAction SilentlyContinue
        $summary.Status | Should -Be 'Fail'
        $summary.MaxConnections | Should -BeLessThan 1000000
        $summary.BindingConstraint | Should -Not -BeNullOrEmpty
        ($results | Where-Object Status -eq 'Fail').Fix | Should -Not -BeNullOrEmpty
    }

    It 'returns a bool with -Quiet' {
        Test-NetpollTuning -Connections 100 -Quiet | Should -BeTrue
    }
}

Describe 'Set-NetpollTuning and Restore-NetpollTuning' {
    It 'changes nothing with -WhatIf' {
        $before = (Get-NetpollTuning).Value -join ','
        Set-NetpollTuning -Connections 50000 -Role Client -WhatIf
        (Get-NetpollTuning).Value -join ',' | Should -Be $before
    }

    It 'raises real sysctls and restores every one, or says per setting why it cannot' {
        $somaxconn = (Get-NetpollTuning -Setting net.core.somaxconn).Value
        $synBacklog = (Get-NetpollTuning -Setting net.ipv4.tcp_max_syn_backlog).Value
        $target = [int]$somaxconn + 1000   # surely above today's value
        try {
            $changes = Set-NetpollTuning -Connections ($target * 8) -Scope Runtime -Confirm:$false -WarningAction SilentlyContinue
            $change = $changes | Where-Object Setting -eq 'net.core.somaxconn'
            if ($isRootLinux) {
                $change.Status | Should -Be 'Changed'
                Get-Content /proc/sys/net/core/somaxconn | Should -Be "$target"
                # This process may not raise its own hard open-file limit: reported with the reason, not hidden.
                $hard = $changes | Where-Object Setting -eq 'RLIMIT_NOFILE.hard'
                if ($hard.Status -ne 'Changed') { $hard.Reason | Should -BeLike '*CAP_SYS_RESOURCE*' }
            }
            else {
                # Not root (or not Linux): the refusal is reported per setting with its reason.
                $change.Status | Should -Be 'Failed'
                $change.Reason | Should -Match 'NotRoot|ReadOnly'
            }
        }
        finally {
            Restore-NetpollTuning -Latest -Confirm:$false | Out-Null
        }
        (Get-NetpollTuning -Setting net.core.somaxconn).Value | Should -Be $somaxconn
        (Get-NetpollTuning -Setting net.ipv4.tcp_max_syn_backlog).Value | Should -Be $synBacklog
    }
}

Describe 'Set-NetpollTuning -WhatIf and what it would not change' {
    It 'warns, per setting and why, about each one a run would skip (here: kernel settings under -Scope Process)' {
        # -WhatIf printed only the changes: a profile's sysctls under -Scope Process, or an open-file limit this process
        # may not raise, went unmentioned, and the run then reported them Skipped.
        $before = (Get-NetpollTuning).Value -join ','
        Set-NetpollTuning -Profile C1M -Scope Process -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
        (Get-NetpollTuning).Value -join ',' | Should -Be $before
        $kernel = @($warned | Where-Object { "$_" -like '*Kernel settings need -Scope Runtime or Persistent*' })
        $kernel.Count | Should -BeGreaterThan 0
        "$($kernel[0])" | Should -Match '^\S+ would stay .+ \(wanted .+\): Kernel settings need'
        "$warned" | Should -Match 'fs\.nr_open would stay \d+ \(wanted 2097152\)'
    }
}

Describe 'Restore-NetpollTuning errors' {
    It 'names the snapshot it cannot read, and says nothing was restored' {
        $bad = Join-Path $TestDrive 'snapshot-bad.json'
        Set-Content -Path $bad -Value '{"Values":'
        Restore-NetpollTuning -Snapshot $bad -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetpollTuningSnapshotInvalid,*'
        "$($failed[0])" | Should -BeLike "The tuning snapshot $bad cannot be read, so nothing was restored: *"
    }

    It 'with -Latest and no snapshot waiting, does not claim Set-NetpollTuning never changed anything' {
        $empty = Join-Path $TestDrive 'no-snapshots'
        $saved = $env:NETPOLL_TUNING_STATE
        try {
            $env:NETPOLL_TUNING_STATE = $empty
            { Restore-NetpollTuning -Latest -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*changed nothing since the last restore*'
        }
        finally { $env:NETPOLL_TUNING_STATE = $saved }
    }
}
