namespace Netpoll.PowerShell.Tests;

/// <summary>What one child process printed and returned. Line endings are normalised to '\n'.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Everything the run printed, for assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
