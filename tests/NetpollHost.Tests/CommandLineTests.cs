using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>The host's own command line, end to end.</summary>
public class CommandLineTests
{
    [Fact]
    public void Help_prints_usage_on_stdout_and_exits_zero()
    {
        HostResult result = HostProcess.Run("-Help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("-File", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("NETPOLL_MODULE_PATH", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_is_a_usage_error_with_exit_code_64()
    {
        HostResult result = HostProcess.Run("-Bogus", "-Command", "'x'");

        Assert.True(result.ExitCode == 64, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.Contains("Unknown option '-Bogus'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void NoProfile_is_accepted_so_pwsh_command_lines_work_unchanged()
    {
        HostResult result = HostProcess.Run("-NoProfile", "-NonInteractive", "-Command", "'fine'");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["fine"], result.StdoutLines);
    }
}
