namespace Netpoll.Polling;

/// <summary>Why io_uring cannot back a poller here; <see cref="None"/> when it can.</summary>
internal enum IoUringUnavailableReason
{
    None = 0,
    /// <summary>Not Linux.</summary>
    NotLinux,
    /// <summary>ENOSYS: a kernel without io_uring, or a sandbox (gVisor, some seccomp profiles) that answers ENOSYS.</summary>
    NotImplemented,
    /// <summary>EPERM with <c>kernel.io_uring_disabled</c> set (Linux 6.6+).</summary>
    DisabledBySysctl,
    /// <summary>EPERM/EACCES otherwise: a seccomp filter (container default profiles) or a security module.</summary>
    Denied,
    /// <summary>ENOMEM/EMFILE/ENFILE: out of locked memory (kernels before 5.12 charge rings to RLIMIT_MEMLOCK) or fds.</summary>
    ResourceLimit,
    /// <summary>The kernel lacks a feature, opcode or registration the completion backend needs.</summary>
    MissingFeature,
    /// <summary>Any other failure of setup, mapping or registration.</summary>
    SetupFailed,
}
