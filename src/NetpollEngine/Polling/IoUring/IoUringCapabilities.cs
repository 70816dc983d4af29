using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// What a kernel offered a ring: its feature bits, the setup flags it accepted, and the opcodes
/// IORING_REGISTER_PROBE reported. Built from a real probe, or by hand to test a kernel we do not have.
/// </summary>
internal sealed class IoUringCapabilities
{
    /// <summary>Feature bits the completion backend cannot do without.</summary>
    public const IoUringFeatures RequiredFeatures =
        IoUringFeatures.NoDrop      // a full CQ must not lose a completion (a lost recv CQE is lost data)
        | IoUringFeatures.FastPoll  // socket ops wait on internal poll, not on io-wq worker threads
        | IoUringFeatures.ExtArg;   // the loop's wait carries the timer wheel's timeout

    private static readonly IoUringOpcode[] s_requiredOpcodes =
    [
        IoUringOpcode.Nop, IoUringOpcode.Accept, IoUringOpcode.Recv, IoUringOpcode.Send, IoUringOpcode.SendMsg,
        IoUringOpcode.PollAdd, IoUringOpcode.AsyncCancel, IoUringOpcode.Timeout, IoUringOpcode.Close,
        // Not used, but the marker of 6.0: multishot receive (an ioprio flag of Recv, which no probe shows)
        // landed in the same release, and provided buffer rings (5.19) before it.
        IoUringOpcode.SendZc,
    ];

    private readonly bool[] _supported = new bool[256];

    public IoUringCapabilities(IoUringFeatures features, IoUringSetupFlags setupFlags, IEnumerable<IoUringOpcode> supported)
    {
        Features = features;
        SetupFlags = setupFlags;
        foreach (IoUringOpcode op in supported)
        {
            _supported[(byte)op] = true;
        }
    }

    public IoUringFeatures Features { get; }

    /// <summary>The flags the ring was actually created with, after falling back from what was asked.</summary>
    public IoUringSetupFlags SetupFlags { get; }

    public int SupportedCount => _supported.Count(s => s);

    public bool Supports(IoUringOpcode op) => _supported[(byte)op];

    /// <summary>The first thing the completion backend needs that is missing, named for an operator; null if none.</summary>
    public string? FirstMissingRequirement()
    {
        IoUringFeatures missingFeatures = RequiredFeatures & ~Features;
        if (missingFeatures != 0)
        {
            return $"feature {missingFeatures} (IORING_FEAT_*)";
        }

        foreach (IoUringOpcode op in s_requiredOpcodes)
        {
            if (!Supports(op))
            {
                return op == IoUringOpcode.SendZc
                    ? "opcode SendZc: the kernel predates 6.0 (multishot receive)"
                    : $"opcode {op}";
            }
        }

        return null;
    }
}
