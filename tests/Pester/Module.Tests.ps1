#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $script:manifestPath = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')
    Import-Module $manifestPath -Force
}

Describe 'The Netpoll module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $manifest = Import-PowerShellDataFile -Path $manifestPath
        (Get-Command -Module Netpoll).Name | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'has help with an example for every cmdlet' {
        foreach ($command in Get-Command -Module Netpoll) {
            $help = Get-Help $command.Name -Full
            # Without MAML, Get-Help makes up help whose Synopsis is "`n<syntax>" and has no examples;
            # @($null).Count is 1, so count only real examples.
            $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo' -Because "$($command.Name) needs MAML help"
            $help.Synopsis.Trim() | Should -Not -BeLike "$($command.Name)*" -Because "$($command.Name) needs a synopsis"
            @($help.examples.example | Where-Object { $_ }).Count | Should -BeGreaterThan 0 -Because "$($command.Name) needs an example"
        }
    }

    It 'stops every server when removed' {
        $server = Start-NetpollServer -Name 'pester-removed'
        Remove-Module Netpoll
        $server.State | Should -Be 'Stopped'
        Import-Module $manifestPath -Force
        @(Get-NetpollServer).Count | Should -Be 0
    }
}
