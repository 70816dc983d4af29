namespace Netpoll.Polling;

/// <summary>The backend an owner's pollers run on, and why, in words an operator can act on.</summary>
internal readonly record struct BackendChoice(PollerBackendKind Kind, string Reason, IoUringOptions IoUring)
{
    /// <summary>The same options on another backend, with the reason for the change.</summary>
    public BackendChoice FallBack(PollerBackendKind kind, string reason) => this with { Kind = kind, Reason = reason };
}
