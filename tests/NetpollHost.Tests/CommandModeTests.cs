using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

public class CommandModeTests
{
    [Fact]
    public void Command_output_is_written_to_stdout_and_the_exit_code_is_zero()
    {
        HostResult result = HostProcess.Run("-Command", "1 + 2; 'text'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["3", "text"], result.StdoutLines);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void Arguments_after_Command_are_joined_with_spaces_into_one_command()
    {
        HostResult result = HostProcess.Run("-c", "'a' +", "'b'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ab"], result.StdoutLines);
    }

    [Fact]
    public void Command_dash_reads_the_command_text_from_stdin()
    {
        HostResult result = HostProcess.Run(["-Command", "-"], stdin: "$x = 6\n\"from stdin $($x * 7)\"\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["from stdin 42"], result.StdoutLines);
    }

    [Fact]
    public void Exit_in_a_command_becomes_the_exit_code()
    {
        HostResult result = HostProcess.Run("-Command", "'before'; exit 7; 'after'");

        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Equal(["before"], result.StdoutLines);
    }

    [Fact]
    public void Objects_are_formatted_by_the_engine_as_a_table()
    {
        HostResult result = HostProcess.Run(
            "-Command",
            "[pscustomobject]@{ Name = 'alpha'; Size = 1 }, [pscustomobject]@{ Name = 'beta'; Size = 22 }");

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.StdoutLines;
        Assert.Matches(@"^Name\s+Size$", lines[0]);
        Assert.Matches(@"^-+\s+-+$", lines[1]);
        Assert.Matches(@"^alpha\s+1$", lines[2]);
        Assert.Matches(@"^beta\s+22$", lines[3]);
    }

    [Fact]
    public void A_non_terminating_error_is_shown_with_its_id_and_category_and_fails_the_run()
    {
        HostResult result = HostProcess.Run("-Command", "Get-Command No-SuchCommandAnywhere; 'after'");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["after"], result.StdoutLines);
        Assert.Contains("No-SuchCommandAnywhere", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("+ CategoryInfo          : ObjectNotFound", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("+ FullyQualifiedErrorId : CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parse_error_is_reported_with_its_id_and_fails_the_run()
    {
        HostResult result = HostProcess.Run("-Command", "1 +");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.Contains("ParserError", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("FullyQualifiedErrorId : ExpectedValueExpression", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_uncaught_throw_exits_with_1_and_shows_the_message_and_error_id()
    {
        HostResult result = HostProcess.Run("-Command", "throw [System.InvalidOperationException]::new('it broke')");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("it broke", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("FullyQualifiedErrorId : it broke", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_that_stops_its_own_pipeline_without_a_signal_fails_the_run()
    {
        HostResult result = HostProcess.Run("-Command", "'a'; throw [System.Management.Automation.PipelineStoppedException]::new(); 'b'");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["a"], result.StdoutLines);
        Assert.Contains("stopped before it finished", result.Stderr, StringComparison.Ordinal);
    }
}
