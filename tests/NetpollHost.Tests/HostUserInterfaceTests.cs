using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>
/// What scripts and cmdlets reach through the host UI. The hosted engine has no Write-Host / Write-Warning /
/// Write-Progress cmdlets (they live in Microsoft.PowerShell.Utility), so these go through $PSCmdlet and
/// $Host.UI, which is exactly the path a binary module's WriteWarning / WriteProgress calls take.
/// </summary>
public class HostUserInterfaceTests
{
    private const string NoisyFunction = """
        function Show-Noise {
            [CmdletBinding()] param()
            $PSCmdlet.WriteWarning('careful')
            $PSCmdlet.WriteVerbose('chatty')
            $PSCmdlet.WriteDebug('details')
        }
        """;

    [Fact]
    public void Warnings_verbose_and_debug_messages_go_to_stderr_with_their_prefixes()
    {
        HostResult result = HostProcess.Run("-Command", NoisyFunction + "\n$DebugPreference = 'Continue'; Show-Noise -Verbose; 'output'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["output"], result.StdoutLines);
        Assert.Equal(["WARNING: careful", "VERBOSE: chatty", "DEBUG: details"], result.StderrLines);
    }

    [Fact]
    public void Host_messages_go_to_stdout_as_Write_Host_output_does()
    {
        const string command = """
            function Write-HostLike {
                [CmdletBinding()] param([string]$Message)
                $PSCmdlet.WriteInformation([System.Management.Automation.HostInformationMessage]@{ Message = $Message }, [string[]]'PSHOST')
            }
            Write-HostLike 'from information'
            $Host.UI.Write('no newline, ')
            $Host.UI.WriteLine('then a line')
            $Host.UI.WriteLine([ConsoleColor]::Green, [ConsoleColor]::Black, 'in colour')
            """;

        HostResult result = HostProcess.Run("-Command", command);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["from information", "no newline, then a line", "in colour"], result.StdoutLines);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void Progress_is_shown_as_plain_lines_on_a_redirected_stderr()
    {
        const string command = """
            function Show-Progress {
                [CmdletBinding()] param()
                foreach ($percent in 0, 50, 50, 100) {
                    $record = [System.Management.Automation.ProgressRecord]::new(1, 'Loading', "step $percent")
                    $record.PercentComplete = $percent
                    $PSCmdlet.WriteProgress($record)
                }
                $done = [System.Management.Automation.ProgressRecord]::new(1, 'Loading', 'done')
                $done.RecordType = 'Completed'
                $PSCmdlet.WriteProgress($done)
            }
            Show-Progress
            'after progress'
            """;

        HostResult result = HostProcess.Run("-Command", command);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["after progress"], result.StdoutLines);
        Assert.Equal(["Loading: step 0 0%", "Loading: step 50 50%", "Loading: step 100 100%", "Loading: completed"], result.StderrLines);
    }

    [Fact]
    public void The_host_identifies_itself_and_formats_redirected_output_at_120_columns()
    {
        HostResult result = HostProcess.Run("-Command", "$Host.Name; $Host.UI.RawUI.BufferSize.Width; $Host.UI.SupportsVirtualTerminal");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["NetpollHost", "120", "False"], result.StdoutLines);
    }

    [Fact]
    public void Escape_sequences_are_dropped_from_redirected_output_unless_OutputRendering_is_Ansi()
    {
        const string command = """
            "$($PSStyle.Foreground.Red)plain$($PSStyle.Reset)"
            $PSStyle.OutputRendering = 'Ansi'
            "$($PSStyle.Foreground.Red)kept$($PSStyle.Reset)"
            """;

        HostResult result = HostProcess.Run("-Command", command);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["plain", "\u001b[31mkept\u001b[0m"], result.StdoutLines);
    }

    [Fact]
    public void ReadLine_reads_stdin_and_returns_null_at_its_end()
    {
        HostResult result = HostProcess.Run(
            ["-Command", "$a = $Host.UI.ReadLine(); $b = $Host.UI.ReadLine(); $c = $Host.UI.ReadLine(); \"$a|$b|$($null -eq $c)\""],
            stdin: "first\nsecond\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["first|second|True"], result.StdoutLines);
    }

    [Fact]
    public void A_mandatory_parameter_prompt_is_answered_from_stdin()
    {
        const string command = """
            function Greet { param([Parameter(Mandatory)][string]$Name) "hello $Name" }
            Greet
            """;

        HostResult result = HostProcess.Run(["-Command", command], stdin: "zed\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["hello zed"], result.StdoutLines);
        Assert.Contains("Name: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prompt_at_the_end_of_stdin_fails_instead_of_waiting()
    {
        const string command = """
            function Greet { param([Parameter(Mandatory)][string]$Name) "hello $Name" }
            Greet
            """;

        HostResult result = HostProcess.Run(["-Command", command], stdin: string.Empty);

        // The engine turns the failed prompt into its usual missing-parameter error.
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.Contains("Name: \n", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("FullyQualifiedErrorId : MissingMandatoryParameter,Greet", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_confirmation_prompt_is_answered_from_stdin()
    {
        const string command = """
            function Remove-Thing {
                [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param([string]$Name)
                if ($PSCmdlet.ShouldProcess($Name, 'Remove')) { "removed $Name" } else { "kept $Name" }
            }
            Remove-Thing first
            Remove-Thing second
            """;

        HostResult result = HostProcess.Run(["-Command", command], stdin: "y\nn\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["removed first", "kept second"], result.StdoutLines);
        Assert.Contains("[Y] Yes", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void NonInteractive_makes_reading_input_fail()
    {
        HostResult result = HostProcess.Run(["-NonInteractive", "-Command", "$Host.UI.ReadLine()"], stdin: "ignored\n");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("NonInteractive", result.Stderr, StringComparison.Ordinal);
    }
}
