using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// The ring's registered file table, one slot per fd number: a connection's socket is installed in slot
/// <c>fd</c> ahead of its first operation, and its receives and sends name the slot (IOSQE_FIXED_FILE), so the
/// kernel takes no file reference per operation (an atomic fget/fput pair per send otherwise).
/// </summary>
/// <remarks>
/// <para>A slot holds a reference to the socket: it must be emptied when the registration goes, or the
/// socket would outlive <c>close(fd)</c> (no FIN, no RST). <see cref="TryRelease"/> says when to queue that, and the
/// SQ's order keeps it ahead of any later install of the same fd number.</para>
/// <para>Installs and releases are FILES_UPDATE SQEs that read their fd from <see cref="_values"/>, which
/// stays valid for the table's life (the kernel reads it when it issues the SQE, at the next enter).</para>
/// <para>Issuer thread only.</para>
/// </remarks>
internal sealed unsafe class IoUringFixedFiles : IDisposable
{
    private const int MaxSlots = 65536; // the table costs the kernel 8 bytes a slot, and us 12

    private readonly int _size;
    private int* _values;            // _values[i] == i; _values[_size] == −1 (what an emptied slot is set to)
    private readonly ulong[] _owners; // the token whose operations use slot i; 0: empty

    private IoUringFixedFiles(int size)
    {
        _size = size;
        _values = (int*)NativeMemory.Alloc((nuint)size + 1, sizeof(int));
        for (int i = 0; i < size; i++)
        {
            _values[i] = i;
        }

        _values[size] = -1;
        _owners = new ulong[size];
    }

    /// <summary>False once an update failed: from then on operations name plain fds.</summary>
    public bool Enabled { get; private set; } = true;

    /// <summary>
    /// Registers a sparse table as large as the process's fd limit (at most 65536 slots). Null when the
    /// kernel refuses (before 5.19, or out of memory): operations then name plain fds, as before.
    /// </summary>
    public static IoUringFixedFiles? TryRegister(IoUringRing ring)
    {
        int size = Libc.OpenFileSoftLimit() is ulong soft ? (int)Math.Min(soft, MaxSlots) : 1024;
        IoUringRsrcRegister registration = default;
        registration.Count = (uint)size;
        registration.Flags = IoUring.IORING_RSRC_REGISTER_SPARSE;
        return ring.Register(IoUring.IORING_REGISTER_FILES2, &registration, (uint)sizeof(IoUringRsrcRegister)) < 0
            ? null
            : new IoUringFixedFiles(size);
    }

    /// <summary>
    /// The slot an operation of <paramref name="token"/> on <paramref name="fd"/> may name, or −1 (past the
    /// table, or the table is off: name the plain fd). When this token has not installed the fd yet,
    /// <paramref name="install"/> is what a FILES_UPDATE SQE ahead of the operation's must set the slot to.
    /// </summary>
    public int Slot(int fd, ulong token, out int* install)
    {
        install = null;
        if (!Enabled || (uint)fd >= (uint)_size)
        {
            return -1;
        }

        if (_owners[fd] != token)
        {
            // Empty, or (defensively) left by an earlier registration of the same fd number: replacing the
            // slot drops whatever file it held.
            install = &_values[fd];
            _owners[fd] = token;
        }

        return fd;
    }

    /// <summary>
    /// Whether <paramref name="token"/> installed <paramref name="fd"/>'s slot; if so it is forgotten here and
    /// a FILES_UPDATE SQE must set it to <paramref name="empty"/> (−1).
    /// </summary>
    public bool TryRelease(int fd, ulong token, out int* empty)
    {
        empty = null;
        if ((uint)fd >= (uint)_size || _owners[fd] != token || token == 0)
        {
            return false;
        }

        _owners[fd] = 0;
        empty = &_values[_size];
        return true;
    }

    /// <summary>An update failed (the kernel posted its error): stop naming slots, since installs may fail again.</summary>
    public void Disable() => Enabled = false;

    public void Dispose()
    {
        // The ring's teardown drops the table; only our fd array is left to free, once no SQE can read it.
        if (_values is not null)
        {
            NativeMemory.Free(_values);
            _values = null;
        }
    }
}
