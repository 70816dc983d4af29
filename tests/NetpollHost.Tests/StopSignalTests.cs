using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

public sealed class StopSignalTests : IDisposable
{
    // Loops until stopped; the engine checks for a stop request on every iteration.
    private const string LoopWithCleanup = """
        try {
            $Host.UI.WriteLine('started')
            while ($true) { [System.Threading.Thread]::Sleep(20) }
        } finally {
            $Host.UI.WriteLine('cleanup ran')
        }
        """;

    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(PosixSignal.Terminate, 143)]
    [InlineData(PosixSignal.Interrupt, 130)]
    public async Task A_signal_stops_the_pipeline_runs_finally_blocks_and_sets_the_exit_code(int signal, int expectedExitCode)
    {
        string script = _directory.Write("loop.ps1", LoopWithCleanup);
        using HostProcess host = HostProcess.Start(["-File", script]);
        await host.WaitForStdoutLineAsync("started", HostProcess.DefaultTimeout);

        host.Signal(signal);
        HostResult result = host.WaitForExit(HostProcess.DefaultTimeout);

        Assert.True(result.ExitCode == expectedExitCode, result.ToString());
        Assert.Equal(["started", "cleanup ran"], result.StdoutLines);
    }

    [Fact]
    public async Task A_second_Ctrl_C_ends_the_process_when_the_first_cannot_stop_it()
    {
        // The engine does not interrupt finally blocks, so this one keeps the first stop from completing.
        string script = _directory.Write("stubborn.ps1", """
            try {
                $Host.UI.WriteLine('started')
                while ($true) { [System.Threading.Thread]::Sleep(20) }
            } finally {
                $Host.UI.WriteLine('cleaning up forever')
                while ($true) { [System.Threading.Thread]::Sleep(20) }
            }
            """);
        using HostProcess host = HostProcess.Start(["-File", script]);
        await host.WaitForStdoutLineAsync("started", HostProcess.DefaultTimeout);

        host.Signal(PosixSignal.Interrupt);
        await host.WaitForStdoutLineAsync("cleaning up forever", HostProcess.DefaultTimeout);
        host.Signal(PosixSignal.Interrupt);
        HostResult result = host.WaitForExit(HostProcess.DefaultTimeout);

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("press Ctrl+C again", result.Stderr, StringComparison.Ordinal);
    }
}
