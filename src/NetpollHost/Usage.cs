namespace Netpoll.Host;

/// <summary>The text <c>netpoll-host -Help</c> prints.</summary>
internal static class Usage
{
    public static string Text => $"""
        netpoll-host {NetpollPSHost.DisplayVersion} - runs PowerShell scripts on the System.Management.Automation engine, without pwsh.

        Usage:
          netpoll-host [options] -File <script.ps1> [script arguments...]
          netpoll-host [options] <script.ps1> [script arguments...]
          netpoll-host [options] -Command <text...>
          netpoll-host [options] -Command -          (reads the command text from stdin)

        Options (case-insensitive, '-' or '--'):
          -File, -f <path>     Run a script; every later argument goes to the script (param() / $args).
          -Command, -c <text>  Run command text; later arguments are joined with spaces.
          -Module <path|name>  Import a module before running (repeatable, in order).
          -NoDefaultModule     Do not import the Netpoll module found by the default rule.
          -NonInteractive      Fail instead of waiting when the code reads input or prompts.
          -NoProfile           Accepted for pwsh compatibility; profiles are never run.
          -Help, -h, -?        Show this text.

        Default module: ${DefaultModuleLocator.EnvironmentVariable} if set, else the first {DefaultModuleLocator.ManifestFileName} found
        walking up from the host's directory to the repository root.

        Exit code: N for 'exit N'; 1 for an uncaught terminating error, a failed module import, or any
        error written during the run; 130 after Ctrl+C, 143 after SIGTERM; 64 for a bad command line; else 0.
        """;
}
