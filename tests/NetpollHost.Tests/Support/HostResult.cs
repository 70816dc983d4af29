namespace Netpoll.Host.Tests.Support;

/// <summary>What one run of the host printed and returned. Line endings are normalised to '\n'.</summary>
public sealed record HostResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Lines(Stdout);

    public string[] StderrLines => Lines(Stderr);

    /// <summary>Everything the run printed, for assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    private static string[] Lines(string text) =>
        text.Split('\n').Select(line => line.TrimEnd()).Where(line => line.Length > 0).ToArray();
}
