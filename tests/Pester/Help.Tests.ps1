#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What Get-Help, Get-Command and the manifest tell a user, checked against what the module does.

BeforeDiscovery {
    # The cases are the module's cmdlets, so discovery needs the module.
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:commands = @(Get-Command -Module Netpoll | ForEach-Object Name)
}

BeforeAll {
    $script:root = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
    $script:manifestPath = Join-Path $root 'Netpoll.psd1'
    Import-Module $manifestPath -Force
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Cmdlet help' {
    It 'gives every parameter of <_> a default value' -ForEach $commands {
        $help = Get-Help $_ -Full
        foreach ($name in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $parameter = $help.parameters.parameter | Where-Object name -eq $name
            $parameter | Should -Not -BeNullOrEmpty -Because "-$name needs help"
            "$($parameter.defaultValue)".Trim() | Should -Not -BeNullOrEmpty -Because "-$name of $_ shows a Default value"
        }
    }

    It 'says what <_> takes from the pipeline and writes to it, with the types it declares' -ForEach $commands {
        $help = Get-Help $_ -Full
        @($help.inputTypes.inputType | Where-Object { "$($_.type.name)".Trim() }).Count | Should -BeGreaterThan 0 -Because "$_ has INPUTS"
        $documented = @($help.returnValues.returnValue.type.name)
        foreach ($type in (Get-Command $_).OutputType.Name) {
            $documented | Should -Contain $type -Because "$_ declares [OutputType([$type])]"
        }
    }

    It 'links <_> to its online help' -ForEach $commands {
        (Get-Command $_).HelpUri | Should -Match '^https://github\.com/netpoll-dotnet/netpoll/'
        @((Get-Help $_).relatedLinks.navigationLink.uri | Where-Object { $_ }) | Should -Contain (Get-Command $_).HelpUri
    }
}

Describe 'The manifest and about_Netpoll' {
    It 'names the project, its license and where help updates come from' {
        $manifest = Test-ModuleManifest -Path $manifestPath
        $manifest.ProjectUri | Should -Be 'https://github.com/netpoll-dotnet/netpoll'
        $manifest.LicenseUri | Should -Match 'LICENSE$'
        $manifest.HelpInfoUri | Should -Match '^https://'
        Join-Path $root 'LICENSE' | Should -FileContentMatch 'MIT License'
        (Get-Module Netpoll).Copyright | Should -Match 'MIT'
    }

    It 'mentions telemetry and reports in the release notes' {
        $notes = (Import-PowerShellDataFile $manifestPath).PrivateData.PSData.ReleaseNotes
        $notes | Should -Match 'Enable-, Disable-, Get-NetpollTelemetry'
        $notes | Should -Match 'Export-NetpollReport'
    }

    It 'covers every cmdlet in about_Netpoll' {
        $about = Get-Help about_Netpoll | Out-String
        foreach ($command in Get-Command -Module Netpoll) {
            $about | Should -Match ([regex]::Escape($command.Name)) -Because "about_Netpoll explains $($command.Name)"
        }
    }
}
