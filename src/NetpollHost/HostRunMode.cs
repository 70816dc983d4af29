namespace Netpoll.Host;

/// <summary>What the command line asks the host to do.</summary>
internal enum HostRunMode
{
    /// <summary>Print usage and exit.</summary>
    Help,

    /// <summary>Run a script file with arguments (<c>-File</c>, or a first bare argument).</summary>
    File,

    /// <summary>Run command text given on the command line (<c>-Command</c>).</summary>
    Command,

    /// <summary>Run command text read from stdin to its end (<c>-Command -</c>).</summary>
    CommandFromStdin,
}
