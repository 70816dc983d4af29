using Netpoll.Interop;
using Netpoll.Polling;
using Kernel = Netpoll.Interop.IoUring;

namespace Netpoll.Tests.IoUring;

/// <summary>Why io_uring is unavailable, told apart: from errno and sysctl, and from what a probe lacks.</summary>
public class IoUringSupportTests
{
    private static readonly IoUringOpcode[] s_everything = Enum.GetValues<IoUringOpcode>();

    [Theory]
    [InlineData(Kernel.EPERM, 2, "DisabledBySysctl", "io_uring_disabled=2")]
    [InlineData(Kernel.EPERM, 1, "DisabledBySysctl", "io_uring_group")]
    [InlineData(Kernel.EPERM, 0, "Denied", "seccomp")]
    [InlineData(Kernel.EPERM, -1, "Denied", "seccomp")]
    [InlineData(13, 0, "Denied", "security module")]
    [InlineData(Kernel.ENOSYS, -1, "NotImplemented", "ENOSYS")]
    [InlineData(Kernel.ENOMEM, 0, "ResourceLimit", "RLIMIT_MEMLOCK")]
    [InlineData(Kernel.EMFILE, 0, "ResourceLimit", "fds")]
    [InlineData(Kernel.EINVAL, 0, "MissingFeature", "too old")]
    [InlineData(5, 0, "SetupFailed", "errno 5")]
    public void A_refused_setup_says_why(int errno, int disabledSysctl, string reason, string explanation)
    {
        IoUringSupport support = IoUringSupport.FromSetupError(errno, disabledSysctl);

        Assert.False(support.IsAvailable);
        Assert.Equal(Enum.Parse<IoUringUnavailableReason>(reason), support.Reason);
        Assert.Equal(errno, support.Errno);
        Assert.Contains(explanation, support.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_probe_with_everything_the_backend_needs_is_available()
    {
        var capabilities = new IoUringCapabilities(IoUringCapabilities.RequiredFeatures, IoUringSetupFlags.None, s_everything);

        Assert.True(IoUringSupport.FromCapabilities(capabilities).IsAvailable);
    }

    [Theory]
    [InlineData("Recv", "opcode Recv")]
    [InlineData("AsyncCancel", "opcode AsyncCancel")]
    [InlineData("SendZc", "predates 6.0")]
    public void A_probe_without_an_opcode_names_it(string opcode, string named)
    {
        IoUringOpcode missing = Enum.Parse<IoUringOpcode>(opcode);
        var capabilities = new IoUringCapabilities(IoUringCapabilities.RequiredFeatures, IoUringSetupFlags.None, s_everything.Where(op => op != missing));

        IoUringSupport support = IoUringSupport.FromCapabilities(capabilities);

        Assert.Equal(IoUringUnavailableReason.MissingFeature, support.Reason);
        Assert.Contains(named, support.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ExtArg")]
    [InlineData("NoDrop")]
    [InlineData("FastPoll")]
    public void A_kernel_without_a_required_feature_names_it(string feature)
    {
        IoUringFeatures missing = Enum.Parse<IoUringFeatures>(feature);
        var capabilities = new IoUringCapabilities(IoUringCapabilities.RequiredFeatures & ~missing, IoUringSetupFlags.None, s_everything);

        IoUringSupport support = IoUringSupport.FromCapabilities(capabilities);

        Assert.Equal(IoUringUnavailableReason.MissingFeature, support.Reason);
        Assert.Contains(missing.ToString(), support.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void This_kernel_offers_what_the_completion_backend_needs()
    {
        using IoUringRing ring = RingHarness.CreateRing();

        IoUringSupport probed = ring.TryProbe(out IoUringCapabilities? capabilities);

        Assert.True(probed.IsAvailable, probed.ToString());
        Assert.Null(capabilities!.FirstMissingRequirement());
        Assert.Equal(ring.SetupFlags, capabilities.SetupFlags);
    }

    [Fact]
    public void A_ring_size_out_of_range_is_refused_before_the_kernel_sees_it()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoUringRingOptions { Entries = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoUringRingOptions { Entries = 65536 });
    }

    [Fact]
    public void A_second_buffer_ring_for_a_taken_group_is_refused_with_the_kernels_errno()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using IoUringBufferRing registered = RingHarness.RegisterBuffers(ring, 1, 8, 256);

        IoUringSupport second = IoUringBufferRing.TryRegister(ring, 1, 8, 256, out IoUringBufferRing? none);

        Assert.Null(none);
        Assert.Equal(IoUringUnavailableReason.SetupFailed, second.Reason);
        Assert.Equal(Kernel.EEXIST, second.Errno);
        Assert.Throws<ArgumentOutOfRangeException>(() => IoUringBufferRing.TryRegister(ring, 2, 6, 256, out _));
    }

    [Fact]
    public void A_buffer_given_back_twice_is_refused_so_two_readers_never_share_it()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using IoUringBufferRing buffers = RingHarness.RegisterBuffers(ring, 1, 4, 128);

        Assert.Throws<InvalidOperationException>(() => buffers.Recycle(0)); // the kernel holds it
        buffers.Take(0);
        Assert.Throws<InvalidOperationException>(() => buffers.Take(0)); // a repeated completion
        buffers.Recycle(0);
        buffers.Publish();
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Recycle(4));
    }
}
