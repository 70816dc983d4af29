#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What the README shows is what the repository builds.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
}

Describe 'README' {
    It 'shows samples/EchoServer/Program.cs, which the solution builds, as its 15-line echo server' {
        $readme = (Get-Content -Raw (Get-RepositoryPath 'README.md')) -replace "`r`n", "`n"
        $readme -match '(?s)## The engine as a library: a 15-line echo server\n.*?```csharp\n(?<code>.*?)```' |
            Should -BeTrue -Because 'the README has the echo server section with its C# block'
        $shown = $Matches.code
        $sample = (Get-Content -Raw (Get-RepositoryPath 'samples', 'EchoServer', 'Program.cs')) -replace "`r`n", "`n"
        $shown | Should -BeExactly $sample
        $shown.TrimEnd("`n").Split("`n").Count | Should -BeLessOrEqual 15
    }

    It 'names every parameter of a cmdlet in that cmdlet''s row of its table' {
        # A row that starts with one cmdlet (| `Start-NetpollServer` | ...) is the reader's parameter list for it; the
        # pipeline's InputObject is described in words. Rows naming several cmdlets (Get-, Stop-NetpollProxy) are summaries.
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $rows = @(Get-Content (Get-RepositoryPath 'README.md') | Where-Object { $_ -match '^\| `[A-Z][a-z]+-Netpoll[A-Za-z]+` \|' })
        $rows.Count | Should -BeGreaterThan 8 -Because 'the README has its cmdlet tables'
        foreach ($row in $rows) {
            $null = $row -match '^\| `(?<cmdlet>[A-Z][a-z]+-Netpoll[A-Za-z]+)` \|'
            $cmdlet = $Matches.cmdlet
            $parameters = (Get-Command $cmdlet).Parameters.Values | Where-Object { $_.Name -notin $common -and $_.Name -ne 'InputObject' }
            foreach ($parameter in $parameters) {
                $row | Should -Match "-$($parameter.Name)\b" -Because "the README's row for $cmdlet lists -$($parameter.Name)"
            }
        }
    }
}
