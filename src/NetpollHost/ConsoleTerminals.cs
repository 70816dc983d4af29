namespace Netpoll.Host;

/// <summary>Which standard streams are attached to a terminal (as opposed to a pipe or file).</summary>
internal readonly record struct ConsoleTerminals(bool Output, bool Error, bool Input);
