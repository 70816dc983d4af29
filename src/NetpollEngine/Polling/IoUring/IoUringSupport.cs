using System.Globalization;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// Whether io_uring can back a poller, and if not, why: the answer a server reports as its backend
/// reason when Auto falls back to epoll. The classification is pure, so each refusal is testable
/// without a kernel that refuses.
/// </summary>
internal readonly record struct IoUringSupport(IoUringUnavailableReason Reason, int Errno, string Detail)
{
    private const string DisabledSysctlPath = "/proc/sys/kernel/io_uring_disabled";

    public bool IsAvailable => Reason == IoUringUnavailableReason.None;

    public static IoUringSupport Available(string detail) => new(IoUringUnavailableReason.None, 0, detail);

    public static IoUringSupport NotLinux() =>
        new(IoUringUnavailableReason.NotLinux, 0, "io_uring is Linux only.");

    /// <summary>Classifies a failed io_uring_setup from its errno and <c>kernel.io_uring_disabled</c> (-1: no such sysctl).</summary>
    public static IoUringSupport FromSetupError(int errno, int disabledSysctl)
    {
        return errno switch
        {
            IoUring.ENOSYS => new(IoUringUnavailableReason.NotImplemented, errno,
                "io_uring_setup failed with ENOSYS: the kernel has no io_uring, or a sandbox (gVisor, a seccomp profile) hides it."),
            IoUring.EPERM when disabledSysctl == 2 => new(IoUringUnavailableReason.DisabledBySysctl, errno,
                "io_uring_setup failed with EPERM: kernel.io_uring_disabled=2 turns io_uring off for every process."),
            IoUring.EPERM when disabledSysctl == 1 => new(IoUringUnavailableReason.DisabledBySysctl, errno,
                "io_uring_setup failed with EPERM: kernel.io_uring_disabled=1 allows only members of kernel.io_uring_group and CAP_SYS_ADMIN."),
            IoUring.EPERM or 13 /* EACCES */ => new(IoUringUnavailableReason.Denied, errno,
                $"io_uring_setup failed with {(errno == IoUring.EPERM ? "EPERM" : "EACCES")}: refused by a seccomp filter (container runtimes' default profiles block io_uring) or a security module."),
            IoUring.ENOMEM or IoUring.EMFILE or 23 /* ENFILE */ => new(IoUringUnavailableReason.ResourceLimit, errno,
                $"io_uring_setup failed with errno {errno}: out of fds, or of locked memory (kernels before 5.12 charge rings to RLIMIT_MEMLOCK)."),
            IoUring.EINVAL => new(IoUringUnavailableReason.MissingFeature, errno,
                "io_uring_setup rejected even a plain ring (EINVAL): the kernel is too old."),
            _ => new(IoUringUnavailableReason.SetupFailed, errno, $"io_uring_setup failed with errno {errno}."),
        };
    }

    /// <summary>A registration the backend needs (provided buffer ring, probe) failed.</summary>
    public static IoUringSupport FromRegisterError(string what, int errno) => errno == IoUring.EINVAL || errno == IoUring.EOPNOTSUPP
        ? new(IoUringUnavailableReason.MissingFeature, errno, $"{what} is not supported by this kernel (errno {errno}).")
        : new(IoUringUnavailableReason.SetupFailed, errno, $"{what} failed with errno {errno}.");

    /// <summary>Checks what a ring's probe reported against what the completion backend needs.</summary>
    public static IoUringSupport FromCapabilities(IoUringCapabilities capabilities)
    {
        string? missing = capabilities.FirstMissingRequirement();
        return missing is null
            ? Available($"io_uring: features 0x{(uint)capabilities.Features:x}, setup {capabilities.SetupFlags}, {capabilities.SupportedCount} opcodes.")
            : new(IoUringUnavailableReason.MissingFeature, 0, $"io_uring lacks {missing}.");
    }

    /// <summary>kernel.io_uring_disabled (Linux 6.6+): 0 on, 1 group-restricted, 2 off; -1 when the kernel has no such sysctl.</summary>
    public static int ReadDisabledSysctl()
    {
        try
        {
            return int.Parse(File.ReadAllText(DisabledSysctlPath).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    public override string ToString() => IsAvailable ? Detail : $"{Reason}: {Detail}";
}
