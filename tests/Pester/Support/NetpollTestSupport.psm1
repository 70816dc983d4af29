# Helpers the Pester suites share: the repository's paths, a TCP round trip, and bounded child processes
# (a fresh pwsh, dotnet-counters) whose output the tests read. Every wait here has a deadline.

$script:RepositoryRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', '..'))

function Get-RepositoryPath {
    <# The repository root, or a path under it. #>
    param([string[]] $ChildPath = @())
    [System.IO.Path]::Combine([string[]](@($script:RepositoryRoot) + $ChildPath))
}

function Invoke-TcpRoundTrip {
    <#
    Sends -Count zero bytes on a connected -Client and reads as many back; returns them.
    Reads time out after 10 s, so a server that never answers fails the test instead of hanging it.
    #>
    param(
        [Parameter(Mandatory)] [System.Net.Sockets.TcpClient] $Client,
        [Parameter(Mandatory)] [int] $Count
    )
    $stream = $Client.GetStream()
    $stream.ReadTimeout = 10000
    $stream.Write([byte[]]::new($Count), 0, $Count)
    $echoed = [byte[]]::new($Count)
    $stream.ReadExactly($echoed, 0, $Count)
    , $echoed
}

function Invoke-BoundedProcess {
    <#
    Runs a program with stdin closed, no colour, and both output streams captured; returns ExitCode, Stdout and Stderr.
    A process still running after -TimeoutSeconds is killed with its children and the call throws with what it printed.
    -Environment entries with a $null value are removed from the child's environment.
    #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $WorkingDirectory = $script:RepositoryRoot,
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.WorkingDirectory = $WorkingDirectory
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.Environment['NO_COLOR'] = '1'
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $startInfo.Environment.Remove($name) }
        else { $startInfo.Environment[$name] = [string]$Environment[$name] }
    }

    $process = [System.Diagnostics.Process]::Start($startInfo)
    try {
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            $null = $process.WaitForExit(10000)
            throw "$FilePath $ArgumentList did not exit within $TimeoutSeconds s and was killed.`n--- stdout ---`n$($stdout.Result)`n--- stderr ---`n$($stderr.Result)"
        }
        # The exit can be seen before the last output is read: wait (bounded) for both streams to end.
        $null = [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]@($stdout, $stderr), 10000)
        $result = [pscustomobject]@{
            ExitCode = $process.ExitCode
            Stdout   = $stdout.Result -replace "`r`n", "`n"
            Stderr   = $stderr.Result -replace "`r`n", "`n"
        }
        # "$result" is everything the run printed, for -Because.
        $result | Add-Member -MemberType ScriptMethod -Name ToString -Force -Value {
            "exit code $($this.ExitCode)`n--- stdout ---`n$($this.Stdout)`n--- stderr ---`n$($this.Stderr)"
        } -PassThru
    }
    finally {
        $process.Dispose()
    }
}

function Get-PwshCommandLine {
    <# dotnet and the pwsh.dll of this very pwsh (the tool manifest's), so a child is the real process, not a launcher. #>
    $dotnet = (Get-Process -Id $PID).Path
    $dotnet, [System.IO.Path]::Combine($PSHOME, 'pwsh.dll')
}

function Invoke-ChildPwsh {
    <# Runs a script file, or -Command text, in a fresh pwsh process of the same version; see Invoke-BoundedProcess. #>
    param(
        [string] $File,
        [string] $Command,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    $dotnet, $pwsh = Get-PwshCommandLine
    $arguments = @($pwsh, '-NoProfile', '-NonInteractive')
    $arguments += if ($File) { @('-File', $File) + $ArgumentList } else { @('-Command', $Command) }
    Invoke-BoundedProcess -FilePath $dotnet -ArgumentList $arguments -Environment $Environment -TimeoutSeconds $TimeoutSeconds
}

Export-ModuleMember -Function Get-RepositoryPath, Invoke-TcpRoundTrip, Invoke-BoundedProcess, Get-PwshCommandLine, Invoke-ChildPwsh
