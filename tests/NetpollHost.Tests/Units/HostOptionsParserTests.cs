namespace Netpoll.Host.Tests.Units;

public class HostOptionsParserTests
{
    [Fact]
    public void Everything_after_the_File_path_belongs_to_the_script_even_host_options()
    {
        HostOptions options = HostOptionsParser.Parse(["-NoProfile", "-Module", "a.psd1", "-File", "s.ps1", "-Module", "x", "-Command"]);

        Assert.Equal(HostRunMode.File, options.Mode);
        Assert.Equal("s.ps1", options.FilePath);
        Assert.Equal(["-Module", "x", "-Command"], options.ScriptArguments);
        Assert.Equal(["a.psd1"], options.Modules);
    }

    [Fact]
    public void Options_are_case_insensitive_and_accept_double_dashes_and_short_forms()
    {
        HostOptions options = HostOptionsParser.Parse(["--noprofile", "-NONINTERACTIVE", "--NoDefaultModule", "-MODULE", "m1", "--module", "m2", "-c", "1", "+", "1"]);

        Assert.Equal(HostRunMode.Command, options.Mode);
        Assert.Equal("1 + 1", options.CommandText);
        Assert.True(options.NonInteractive);
        Assert.True(options.NoDefaultModule);
        Assert.Equal(["m1", "m2"], options.Modules);
    }

    [Fact]
    public void Command_dash_means_stdin_and_takes_nothing_after_it()
    {
        Assert.Equal(HostRunMode.CommandFromStdin, HostOptionsParser.Parse(["-Command", "-"]).Mode);
        Assert.Throws<CommandLineException>(() => HostOptionsParser.Parse(["-Command", "-", "more"]));
    }

    [Fact]
    public void A_first_bare_argument_is_the_script_file()
    {
        HostOptions options = HostOptionsParser.Parse(["-NonInteractive", "run.ps1", "x", "-y"]);

        Assert.Equal(HostRunMode.File, options.Mode);
        Assert.Equal("run.ps1", options.FilePath);
        Assert.Equal(["x", "-y"], options.ScriptArguments);
    }

    [Theory]
    [InlineData(new string[0], "Nothing to run")]
    [InlineData(new[] { "-NoProfile" }, "Nothing to run")]
    [InlineData(new[] { "-File" }, "-File needs a script path")]
    [InlineData(new[] { "-Command" }, "-Command needs command text")]
    [InlineData(new[] { "-Module" }, "-Module needs a module path")]
    [InlineData(new[] { "-Module", "  ", "-c", "1" }, "-Module needs a module path")]
    [InlineData(new[] { "-Nope" }, "Unknown option '-Nope'")]
    public void Bad_command_lines_are_rejected_with_a_reason(string[] args, string reason)
    {
        var error = Assert.Throws<CommandLineException>(() => HostOptionsParser.Parse(args));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-Help")]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("--help")]
    public void Help_wins_wherever_it_appears_before_the_work(string help)
    {
        Assert.Equal(HostRunMode.Help, HostOptionsParser.Parse(["-NoProfile", help, "-Command", "1"]).Mode);
    }
}
