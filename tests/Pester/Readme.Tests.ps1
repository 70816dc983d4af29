#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# What the README shows is what the repository builds.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force
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
}
