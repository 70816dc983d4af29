namespace Netpoll.Host;

/// <summary>The process exit codes the host returns besides the script's own <c>exit N</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An uncaught terminating error, a failed module import, or errors written during the run.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line (same value as pwsh, from BSD sysexits EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>The host itself failed (same value as pwsh, from BSD sysexits EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>The run was stopped by Ctrl+C / SIGINT: 128 + signal number, as shells report it.</summary>
    public const int Interrupted = 128 + 2;

    /// <summary>The run was stopped by SIGTERM: 128 + signal number, as shells report it.</summary>
    public const int Terminated = 128 + 15;
}
