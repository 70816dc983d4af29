namespace Netpoll.Host;

/// <summary>The host's command line, parsed by <see cref="HostOptionsParser"/>.</summary>
internal sealed record HostOptions
{
    public required HostRunMode Mode { get; init; }

    /// <summary>The script to run in <see cref="HostRunMode.File"/> mode, as given (not yet resolved).</summary>
    public string? FilePath { get; init; }

    /// <summary>Arguments after the script path, passed to the script the way pwsh -File passes them.</summary>
    public IReadOnlyList<string> ScriptArguments { get; init; } = [];

    /// <summary>The command text in <see cref="HostRunMode.Command"/> mode.</summary>
    public string? CommandText { get; init; }

    /// <summary>Modules named with <c>-Module</c>, imported in order after the default module.</summary>
    public IReadOnlyList<string> Modules { get; init; } = [];

    /// <summary><c>-NoDefaultModule</c>: do not look for or import the Netpoll module.</summary>
    public bool NoDefaultModule { get; init; }

    /// <summary><c>-NonInteractive</c>: reading input and prompting fail instead of waiting for a person.</summary>
    public bool NonInteractive { get; init; }
}
