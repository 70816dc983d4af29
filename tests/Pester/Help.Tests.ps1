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

    It 'lists every error id the module raises in about_Netpoll (the README sends users there for them)' {
        $about = Get-Help about_Netpoll | Out-String
        # ErrorIds is the module's one list of ids (internal): read it from the loaded assembly, so a new id cannot be missed.
        $errorIds = (Get-Command Start-NetpollServer).ImplementingType.Assembly.GetType('Netpoll.PowerShell.ErrorIds', $true)
        $ids = @($errorIds.GetFields('Public, NonPublic, Static') | Where-Object IsLiteral | ForEach-Object { $_.GetRawConstantValue() })
        $ids.Count | Should -BeGreaterThan 20 -Because 'the ids are read from ErrorIds'
        foreach ($id in $ids) {
            $about | Should -Match "\b$([regex]::Escape($id))\b" -Because "about_Netpoll's ERRORS lists $id"
        }
    }
}

Describe 'Script help' {
    BeforeDiscovery {
        # Every script a user or contributor runs: what Get-Help <script> -Full must explain.
        $root = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
        $script:scripts = @(
            Get-ChildItem -Path (Join-Path $root 'scripts'), (Join-Path $root 'bench'), (Join-Path $root 'tests'), (Join-Path $root 'src') -Recurse -Filter *.ps1 |
                Where-Object { $_.Name -notlike '*.Tests.ps1' -and $_.FullName -notmatch '[\\/](artifacts|bin|obj)[\\/]' } |
                ForEach-Object { $_.FullName.Substring($root.Length + 1) }
        )
    }

    It 'gives <_> a synopsis, a description, an example and a description of every parameter' -ForEach $scripts {
        $path = Join-Path $root $_
        $help = Get-Help $path -Full
        "$($help.Synopsis)".Trim() | Should -Not -Match '^[\\/]|^$' -Because "Get-Help shows the .SYNOPSIS of $_, not only its syntax"
        "$($help.description.Text)".Trim() | Should -Not -BeNullOrEmpty -Because "$_ has a .DESCRIPTION"
        @($help.examples.example).Count | Should -BeGreaterThan 0 -Because "$_ has an .EXAMPLE"
        foreach ($name in (Get-Command $path).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $parameter = $help.parameters.parameter | Where-Object name -eq $name
            "$($parameter.description.Text)".Trim() | Should -Not -BeNullOrEmpty -Because "-$name of $_ is described (.PARAMETER or a comment above it)"
        }
    }
}
