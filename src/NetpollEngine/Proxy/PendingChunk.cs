using Netpoll.Buffers;

namespace Netpoll.Proxy;

/// <summary>What a pipe's queue holds, in order: data held back by a toxic, or the end of the stream.</summary>
internal enum PendingKind
{
    /// <summary>Bytes to write (a slice sharing the source's memory).</summary>
    Data,

    /// <summary>The source sent FIN: half-close the destination.</summary>
    End,

    /// <summary>The source failed (reset, error, idle): end the connection with the recorded cause.</summary>
    Failure,

    /// <summary>A limit_data toxic let its bytes through: close the connection.</summary>
    LimitReached,
}

/// <summary>One entry of a pipe's queue: due at <see cref="ReleaseUs"/> (or at once once its sequence is released).</summary>
internal readonly record struct PendingChunk(PendingKind Kind, LinkBuffer? Data, long ReleaseUs, long Sequence, bool SeparateWrite, ProxyCloseCause Cause = ProxyCloseCause.Completed);
