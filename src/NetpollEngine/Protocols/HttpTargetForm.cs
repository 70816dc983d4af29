namespace Netpoll.Protocols;

/// <summary>The four shapes of request-target (RFC 9112 §3.2).</summary>
internal enum HttpTargetForm
{
    Origin,
    Absolute,
    Authority,
    Asterisk,
}
