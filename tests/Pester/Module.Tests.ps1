#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The module as a whole: its manifest, its help, and what removing it does.

BeforeAll {
    $script:manifestPath = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')
    Import-Module $manifestPath -Force
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'The Netpoll module' {
    It 'has a valid manifest for pwsh 7.6 that exports exactly the cmdlets the module loads' {
        $manifest = Import-PowerShellDataFile -Path $manifestPath
        $manifest.PowerShellVersion | Should -Be '7.6'
        (Test-ModuleManifest -Path $manifestPath).ExportedCmdlets.Keys | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        (Get-Command -Module Netpoll).Name | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'stops every server when removed' {
        $server = Start-NetpollServer -Name 'pester-removed' -Port 0
        Remove-Module Netpoll
        $server.State | Should -Be 'Stopped'
        Import-Module $manifestPath -Force
        @(Get-NetpollServer).Count | Should -Be 0
    }
}

Describe 'Help for <_>' -ForEach @((Import-PowerShellDataFile -Path ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))).CmdletsToExport) {
    BeforeAll {
        $script:command = $_
        $script:help = Get-Help $command -Full
    }

    It 'is MAML help with a synopsis, a description and an example' {
        # Without MAML, Get-Help makes up help whose Synopsis is the syntax and has no examples;
        # @($null).Count is 1, so count only real examples.
        $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo'
        $help.Synopsis.Trim() | Should -Not -BeLike "$command*"
        ($help.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example | Where-Object { $_ }).Count | Should -BeGreaterThan 0
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($parameter in (Get-Command $command).Parameters.Keys | Where-Object { $_ -notin $common }) {
            ((Get-Help $command -Parameter $parameter).description.Text -join ' ').Trim() |
                Should -Not -BeNullOrEmpty -Because "$command -$parameter needs help"
        }
    }
}

Describe 'about_Netpoll' {
    It 'explains the cmdlets, the error ids, telemetry and dotnet-counters' {
        $text = Get-Help about_Netpoll | Out-String
        $text | Should -BeLike '*Start-NetpollServer*'
        $text | Should -BeLike '*NetpollPortInUse*'
        $text | Should -BeLike '*Enable-NetpollTelemetry*'
        $text | Should -BeLike '*dotnet-counters monitor --counters Netpoll*'
        $text | Should -BeLike '*Netpoll-Engine*'
    }
}
