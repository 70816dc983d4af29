#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The built package (artifacts/packages/Netpoll.<version>.nupkg) installs the way modules are installed:
# PSResourceGet from a local repository, then Import-Module Netpoll by name in a fresh pwsh. Every pwsh here
# runs with HOME and the XDG folders in $TestDrive, so the repository registration and the CurrentUser module
# path are temporary and the user's own are never touched.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, 'Support', 'NetpollTestSupport.psm1')) -Force

    $script:package = @(Get-ChildItem -Path (Get-RepositoryPath 'artifacts', 'packages') -Filter 'Netpoll.*.nupkg')
    $package.Count | Should -Be 1 -Because 'the build writes exactly one Netpoll package (dotnet build Netpoll.slnx)'
    $script:version = [version]($package[0].Name -replace '^Netpoll\.(.+)\.nupkg$', '$1')

    # The local repository: the built package, and a newer one made from it, as an upgrade would bring.
    $script:repository = Join-Path $TestDrive 'repository'
    $null = New-Item -ItemType Directory -Path $repository
    Copy-Item -LiteralPath $package[0].FullName -Destination $repository
    $script:newer = [version]::new($version.Major, $version.Minor, $version.Build + 1)
    $unpacked = Join-Path $TestDrive 'newer\Netpoll'
    Expand-Archive -LiteralPath $package[0].FullName -DestinationPath $unpacked
    Remove-Item -Recurse -Force -Path (Join-Path $unpacked '_rels'), (Join-Path $unpacked 'package'), (Join-Path $unpacked '*.nuspec'), (Join-Path $unpacked '`[Content_Types`].xml')
    Update-PSModuleManifest -Path (Join-Path $unpacked 'Netpoll.psd1') -ModuleVersion $newer
    Compress-PSResource -Path $unpacked -DestinationPath $repository

    # A temporary user: PSResourceGet and the module path resolve under it (the folders must exist first).
    $home_ = Join-Path $TestDrive 'home'
    $script:userEnvironment = @{
        HOME            = $home_
        XDG_DATA_HOME   = Join-Path $home_ '.local/share'
        XDG_CONFIG_HOME = Join-Path $home_ '.config'
        XDG_CACHE_HOME  = Join-Path $home_ '.cache'
        PSModulePath    = $null   # the default path of that user, not this session's
    }
    foreach ($folder in $userEnvironment.Values | Where-Object { $_ }) { $null = New-Item -ItemType Directory -Path $folder -Force }

    function Invoke-AsUser([string] $Script) {
        $file = Join-Path $TestDrive "step-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $file -Value "`$ErrorActionPreference = 'Stop'`n$Script"
        Invoke-ChildPwsh -File $file -Environment $userEnvironment -TimeoutSeconds 180
    }

    $script:install = Invoke-AsUser @"
Register-PSResourceRepository -Name NetpollLocal -Uri '$repository' -Trusted
Install-PSResource Netpoll -Version $version -Repository NetpollLocal -Scope CurrentUser
(Get-InstalledPSResource Netpoll).InstalledLocation
"@
}

Describe 'Netpoll.<version>.nupkg' {
    It 'is a module folder at its root: manifest, binary module, format file, help, telemetry/ and netpoll-load' {
        $entries = [System.IO.Compression.ZipFile]::OpenRead($package[0].FullName)
        try { $names = $entries.Entries.FullName }
        finally { $entries.Dispose() }
        foreach ($file in 'Netpoll.psd1', 'Netpoll.PowerShell.dll', 'Netpoll.Engine.dll', 'Netpoll.Load.dll', 'HdrHistogram.dll', 'Netpoll.Telemetry.Bridge.dll', 'Netpoll.format.ps1xml',
            'en-US/Netpoll.PowerShell.dll-Help.xml', 'en-US/about_Netpoll.help.txt', 'telemetry/Netpoll.Telemetry.Sinks.dll',
            'telemetry/OpenTelemetry.dll', 'netpoll-load.dll', 'netpoll-load.runtimeconfig.json', 'netpoll-load.deps.json') {
            $names | Should -Contain $file
        }
    }

    It 'carries only platform-neutral IL assemblies, so the one package imports on every OS and architecture' {
        # A ReadyToRun image holds native code for one runtime identifier, and the runtime refuses it on any other:
        # Import-Module fails with BadImageFormatException, IL inside or not (docs/benchmarks.md, "Start-up").
        $archive = [System.IO.Compression.ZipFile]::OpenRead($package[0].FullName)
        try {
            $assemblies = foreach ($entry in $archive.Entries | Where-Object FullName -like '*.dll') {
                $image = [System.IO.MemoryStream]::new()
                $stream = $entry.Open()
                try { $stream.CopyTo($image) } finally { $stream.Dispose() }
                $image.Position = 0
                $reader = [System.Reflection.PortableExecutable.PEReader]::new($image)
                try {
                    $headers = $reader.PEHeaders
                    $flags = $headers.CorHeader.Flags
                    [pscustomobject]@{
                        Name     = $entry.FullName
                        Neutral  = $headers.CoffHeader.Machine -eq 'I386' -and $flags.HasFlag([System.Reflection.PortableExecutable.CorFlags]::ILOnly) -and
                            -not $flags.HasFlag([System.Reflection.PortableExecutable.CorFlags]::Requires32Bit)
                        Compiled = $headers.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
                    }
                }
                finally { $reader.Dispose() }
            }
        }
        finally { $archive.Dispose() }
        $assemblies.Name | Should -Contain 'Netpoll.Engine.dll'
        @($assemblies | Where-Object { -not $_.Neutral -or $_.Compiled }).Name | Should -BeNullOrEmpty -Because 'each of these would fail to load on another platform'
    }

    It 'installs with Install-PSResource from a local repository into the temporary user' {
        $install.ExitCode | Should -Be 0 -Because "$install"
        $install.Stdout.Trim() | Should -Be (Join-Path $userEnvironment.XDG_DATA_HOME 'powershell/Modules')
        Join-Path $install.Stdout.Trim() "Netpoll/$version/Netpoll.psd1" | Should -Exist
    }

    It 'has an installed manifest that passes Test-ModuleManifest with RootModule beside it' {
        $manifest = Join-Path $install.Stdout.Trim() "Netpoll/$version/Netpoll.psd1"
        $module = Test-ModuleManifest -Path $manifest
        $module.Version | Should -Be $version
        $module.RootModule | Should -Be 'Netpoll.PowerShell.dll'
        $module.ExportedCmdlets.Keys | Should -Contain 'Start-NetpollServer'
        Get-Content -Raw $manifest | Should -Not -BeLike '*artifacts*'
    }

    It 'imports by name in a fresh pwsh, serves, loads (in and out of process), reports stats, telemetry and help' {
        $run = Invoke-AsUser @'
Import-Module Netpoll
$module = Get-Module Netpoll
$server = Start-NetpollServer -Name installed -Port 0 -Pollers 2
$inProcess = $server | Invoke-NetpollLoad -Connections 4 -Requests 500 -MessageSize 64
$isolated = $server | Invoke-NetpollLoad -Connections 2 -Requests 200 -MessageSize 64 -Isolated
$stats = Get-NetpollStats -Name installed -Aggregate
$telemetry = Enable-NetpollTelemetry -LogLevel Error -PassThru
Disable-NetpollTelemetry
$help = Get-Help Start-NetpollServer
Stop-NetpollServer -Name installed
[pscustomobject]@{
    ModuleBase = $module.ModuleBase; Version = "$($module.Version)"
    InProcess = $inProcess.Requests; Isolated = $isolated.Isolated; IsolatedRequests = $isolated.Requests
    BytesIn = $stats.BytesIn; Sent = $inProcess.BytesSent + $isolated.BytesSent
    SinksPath = $telemetry.SinksPath; HelpIsMaml = $help.PSObject.TypeNames -contains 'MamlCommandHelpInfo'
    Left = @(Get-NetpollServer).Count
} | ConvertTo-Json
'@
        $run.ExitCode | Should -Be 0 -Because "$run"
        $facts = $run.Stdout | ConvertFrom-Json
        $base = Join-Path $userEnvironment.XDG_DATA_HOME "powershell/Modules/Netpoll/$version"
        $facts.ModuleBase | Should -Be $base
        $facts.Version | Should -Be "$version"
        $facts.InProcess | Should -Be 500
        $facts.Isolated | Should -BeTrue
        $facts.IsolatedRequests | Should -Be 200
        $facts.BytesIn | Should -Be $facts.Sent
        $facts.SinksPath | Should -Be (Join-Path $base 'telemetry')
        $facts.HelpIsMaml | Should -BeTrue
        $facts.Left | Should -Be 0
    }

    It 'stops the running servers of the installed module on Remove-Module' {
        $socket = Join-Path ([System.IO.Path]::GetTempPath()) "np-pkg-$([guid]::NewGuid().ToString('N')).sock"
        $run = Invoke-AsUser @"
Import-Module Netpoll
`$unix = Start-NetpollServer -Name unix -UnixSocket '$socket'
`$tcp = Start-NetpollServer -Name tcp -Port 0
`$client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', `$tcp.Port)
`$warning = "`$(Remove-Module Netpoll 3>&1)"
"`$(`$unix.State) `$(`$tcp.State) `$(Test-Path '$socket') `$(`$warning -like '*stops 2 running server(s) and proxies: server unix*')"
`$client.Dispose()
"@
        $run.ExitCode | Should -Be 0 -Because "$run"
        $run.Stdout.Trim() | Should -Be 'Stopped Stopped False True' # and Remove-Module warned first
    }

    It 'upgrades over the running older version: installing the newer one, then Remove-Module stops the old servers' {
        $socket = Join-Path ([System.IO.Path]::GetTempPath()) "np-pkg-$([guid]::NewGuid().ToString('N')).sock"
        $run = Invoke-AsUser @"
Import-Module Netpoll
`$old = Start-NetpollServer -Name old -UnixSocket '$socket'
Install-PSResource Netpoll -Version $newer -Repository NetpollLocal -Scope CurrentUser
`$afterInstall = `$old.State
Remove-Module Netpoll 3>`$null   # it warns that it stops 'old'
`$afterRemove = `$old.State
Import-Module Netpoll
`$new = Start-NetpollServer -Name new -Port 0
`$load = `$new | Invoke-NetpollLoad -Connections 2 -Requests 100
Stop-NetpollServer -Name new
"`$afterInstall `$afterRemove `$(Test-Path '$socket') `$((Get-Module Netpoll).Version) `$(`$load.Requests) `$(@(Get-NetpollServer).Count)"
"@
        $run.ExitCode | Should -Be 0 -Because "$run"
        # Installing leaves the loaded version serving; removing it stops its servers (the socket file goes);
        # the next import is the newer version, which serves.
        $run.Stdout.Trim() | Should -Be "Serving Stopped False $newer 100 0"
    }
}
