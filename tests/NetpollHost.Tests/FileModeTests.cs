using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

public sealed class FileModeTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Script_parameters_bind_by_name_by_position_and_as_switches()
    {
        string script = _directory.Write("params.ps1", """
            param([string]$Name, [int]$Count, [switch]$Loud)
            "$Name|$Count|$Loud"
            """);

        HostResult result = HostProcess.Run("-File", script, "-Name", "bob", "3", "-Loud");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["bob|3|True"], result.StdoutLines);
    }

    [Fact]
    public void Colon_form_arguments_bind_and_boolean_text_becomes_a_boolean()
    {
        string script = _directory.Write("colon.ps1", """
            param([string]$Name, [bool]$Enabled)
            "$Name|$Enabled"
            """);

        HostResult result = HostProcess.Run("-File", script, "-Name:x y", "-Enabled:$false");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["x y|False"], result.StdoutLines);
    }

    [Fact]
    public void A_script_without_param_block_receives_every_argument_in_args()
    {
        string script = _directory.Write("args.ps1", """
            "count=$($args.Count)"
            $args -join ','
            """);

        HostResult result = HostProcess.Run("-File", script, "a", "b c", "-x");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["count=3", "a,b c,-x"], result.StdoutLines);
    }

    [Fact]
    public void A_bare_first_argument_is_run_as_the_script_file()
    {
        string script = _directory.Write("bare.ps1", "\"got $($args[0])\"");

        HostResult result = HostProcess.Run(script, "value");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["got value"], result.StdoutLines);
    }

    [Fact]
    public void The_script_knows_its_own_path_and_folder()
    {
        string script = _directory.Write("where.ps1", """
            $PSCommandPath
            $PSScriptRoot
            $MyInvocation.MyCommand.Path
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([script, _directory.Path, script], result.StdoutLines);
    }

    [Fact]
    public void Exit_N_in_the_script_ends_it_and_becomes_the_exit_code()
    {
        string script = _directory.Write("exit3.ps1", """
            'before'
            exit 3
            'after'
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal(["before"], result.StdoutLines);
    }

    [Fact]
    public void Exit_inside_a_function_of_the_script_also_becomes_the_exit_code()
    {
        string script = _directory.Write("exit-in-function.ps1", """
            function Stop-Everything { exit 5 }
            Stop-Everything
            'not reached'
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void Exit_in_a_script_the_script_calls_only_ends_that_inner_script()
    {
        string inner = _directory.Write("inner.ps1", "exit 4");
        string outer = _directory.Write("outer.ps1", $"""
            & '{inner}'
            "inner exit code $LASTEXITCODE"
            """);

        HostResult result = HostProcess.Run("-File", outer);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["inner exit code 4"], result.StdoutLines);
    }

    [Fact]
    public void A_failing_native_command_sets_LASTEXITCODE_without_failing_the_run()
    {
        string script = _directory.Write("native.ps1", """
            sh -c 'exit 2'
            "native exit code $LASTEXITCODE"
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["native exit code 2"], result.StdoutLines);
    }

    [Fact]
    public void An_uncaught_throw_exits_with_1_and_shows_the_script_position()
    {
        string script = _directory.Write("throws.ps1", """
            'before'
            throw 'boom'
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["before"], result.StdoutLines);
        Assert.Equal("boom", result.StderrLines[0]);
        Assert.Contains($"At {script}:2 char:1", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("+ FullyQualifiedErrorId : boom", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_script_that_writes_an_error_but_finishes_exits_with_1()
    {
        string script = _directory.Write("soft-error.ps1", """
            Get-Command No-SuchCommandAnywhere
            'finished'
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(["finished"], result.StdoutLines);
        Assert.Contains("CommandNotFoundException", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_script_whose_errors_are_caught_exits_with_0()
    {
        string script = _directory.Write("caught.ps1", """
            try { throw 'handled' } catch { "caught: $_" }
            Get-Command No-SuchCommandAnywhere -ErrorAction SilentlyContinue
            'done'
            """);

        HostResult result = HostProcess.Run("-File", script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["caught: handled", "done"], result.StdoutLines);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void A_missing_script_is_a_usage_error()
    {
        HostResult result = HostProcess.Run("-File", Path.Combine(_directory.Path, "nope.ps1"));

        Assert.True(result.ExitCode == 64, result.ToString());
        Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
    }
}
