namespace Netpoll.Protocols;

/// <summary>The paths the built-in HTTP responder knows.</summary>
internal enum HttpTarget
{
    Other,
    Root,
    Stats,
}
