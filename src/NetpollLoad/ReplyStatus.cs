namespace Netpoll.Load;

/// <summary>What a reply reader found in the bytes it was given.</summary>
internal enum ReplyStatus : byte
{
    /// <summary>The reply is not complete yet (some of its bytes may have been consumed).</summary>
    NeedMore,

    /// <summary>A reply is complete: its request is done.</summary>
    Complete,

    /// <summary>HTTP only: an interim (1xx) response was read and skipped; the final one follows.</summary>
    Interim,

    /// <summary>The bytes break the protocol; the reader's Error says how. The connection is done.</summary>
    Error,
}
