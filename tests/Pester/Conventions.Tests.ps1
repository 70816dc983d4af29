#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The module's house rules, checked so a new cmdlet follows them: where cmdlets live, that they stay thin
# and independent, that error ids come from one list, and what the module assembly depends on.

BeforeAll {
    $script:root = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
    $script:source = Join-Path $root 'src' 'NetpollModule'
    Import-Module (Join-Path $root 'Netpoll.psd1') -Force
    $script:assembly = (Get-Command Start-NetpollServer).ImplementingType.Assembly
    $script:cmdletTypes = @($assembly.GetTypes() | Where-Object { $_.IsSubclassOf([System.Management.Automation.Cmdlet]) })
    $script:cmdletFiles = @(Get-ChildItem (Join-Path $source 'Cmdlets') -Filter *.cs)
}

Describe 'Where a cmdlet lives' {
    It 'puts every cmdlet in Cmdlets/, one file named after its class' {
        $cmdletTypes.Count | Should -Be (Get-Command -Module Netpoll).Count
        foreach ($type in $cmdletTypes) {
            Join-Path $source 'Cmdlets' "$($type.Name).cs" | Should -Exist -Because "$($type.Name) is a cmdlet"
        }
        foreach ($file in Get-ChildItem $source -Recurse -Filter *Command.cs | Where-Object { $_.Directory.Name -ne 'Cmdlets' }) {
            throw "$($file.FullName) holds a cmdlet outside Cmdlets/"
        }
    }

    It 'keeps Cmdlets/ for cmdlets only' {
        $cmdletFiles.BaseName | Sort-Object | Should -Be ($cmdletTypes.Name | Sort-Object)
    }
}

Describe 'Thin, independent cmdlets' {
    It 'lets no cmdlet borrow another cmdlet''s code' {
        foreach ($file in $cmdletFiles) {
            $text = Get-Content -Raw $file.FullName
            foreach ($other in $cmdletTypes.Name | Where-Object { $_ -ne $file.BaseName }) {
                $text | Should -Not -Match "\b$other\b" -Because "$($file.Name) uses $other"
            }
        }
    }

    It 'renders no CSV, JSON or HTML inside a cmdlet' {
        foreach ($file in $cmdletFiles) {
            $text = Get-Content -Raw $file.FullName
            $text | Should -Not -Match 'StringBuilder|JsonSerializer|<html|<svg|HtmlEncode' -Because "$($file.Name) should hand rendering to its own type"
        }
    }
}

Describe 'Error ids' {
    It 'writes every error id from the one list in ErrorIds' {
        $ids = @($assembly.GetType('Netpoll.PowerShell.ErrorIds', $true).GetFields([System.Reflection.BindingFlags]'Static,NonPublic,Public') | ForEach-Object { $_.GetValue($null) })
        $ids | Should -Not -BeNullOrEmpty
        $ids | ForEach-Object { $_ | Should -Match '^Netpoll[A-Z]\w+$' }
        @($ids | Select-Object -Unique).Count | Should -Be $ids.Count

        # Any other "Netpoll..." literal in the module is a cmdlet noun or a name that is not an error id.
        $nouns = (Get-Command -Module Netpoll).Noun
        $notIds = @('NetpollLastLoadResult')
        foreach ($file in Get-ChildItem $source -Recurse -Filter *.cs | Where-Object Name -ne 'ErrorIds.cs') {
            foreach ($literal in [regex]::Matches((Get-Content -Raw $file.FullName), '"(Netpoll[A-Z]\w*)"') | ForEach-Object { $_.Groups[1].Value }) {
                ($literal -in $nouns -or $literal -in $notIds) | Should -BeTrue -Because "`"$literal`" in $($file.Name) looks like an error id outside ErrorIds"
            }
        }
    }
}

Describe 'What the module depends on' {
    It 'shares load contracts through Netpoll.Load.Contracts, not by referencing the worker executable' {
        $references = $assembly.GetReferencedAssemblies().Name
        $references | Should -Contain 'Netpoll.Load.Contracts'
        $references | Should -Not -Contain 'netpoll-load'
    }
}
