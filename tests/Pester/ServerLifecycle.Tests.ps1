#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Conflicts a script can choose to ignore, completion of live ids, and a reload that says what it stops.

BeforeAll {
    $script:manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
    Import-Module $manifest -Force
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
}

Describe 'Start-NetpollServer conflicts' {
    It 'reports name and port conflicts as non-terminating errors that -ErrorAction decides about' {
        $first = Start-NetpollServer -Name 'pester-conflict' -Port 0
        { Start-NetpollServer -Name 'pester-conflict' -ErrorAction SilentlyContinue } | Should -Not -Throw
        { Start-NetpollServer -Name 'pester-other-port' -Port $first.Port -ErrorAction SilentlyContinue } | Should -Not -Throw

        $null = Start-NetpollServer -Name 'pester-conflict' -ErrorVariable nameClash -ErrorAction SilentlyContinue
        $null = Start-NetpollServer -Name 'pester-other-port' -Port $first.Port -ErrorVariable portClash -ErrorAction SilentlyContinue
        $nameClash[0].FullyQualifiedErrorId | Should -Be 'NetpollServerNameInUse,Netpoll.PowerShell.StartNetpollServerCommand'
        $portClash[0].FullyQualifiedErrorId | Should -Be 'NetpollPortInUse,Netpoll.PowerShell.StartNetpollServerCommand'
        @(Get-NetpollServer -Name 'pester-*').Count | Should -Be 1
    }
}

Describe 'Tab completion of live servers' {
    It 'completes -Id of Get-NetpollServer and Stop-NetpollServer with running ids' {
        $server = Start-NetpollServer -Name 'pester-complete'
        foreach ($command in 'Get-NetpollServer', 'Stop-NetpollServer') {
            $line = "$command -Id "
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain "$($server.Id)"
        }
    }
}

Describe 'Reloading the module' {
    It 'warns before Import-Module -Force stops running servers, naming them' {
        $server = Start-NetpollServer -Name 'pester-reload'
        Import-Module $manifest -Force -WarningVariable warned -WarningAction SilentlyContinue
        $server.State | Should -Be 'Stopped'
        "$warned" | Should -Match 'stops \d+ running server'
        "$warned" | Should -Match 'pester-reload'
    }

    It 'says nothing when no server runs' {
        Import-Module $manifest -Force -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -HaveCount 0
    }
}
