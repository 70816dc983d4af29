namespace Netpoll.Host;

/// <summary>The host's own command line could not be understood; the host exits with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class CommandLineException : Exception
{
    public CommandLineException()
    {
    }

    public CommandLineException(string message)
        : base(message)
    {
    }

    public CommandLineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
