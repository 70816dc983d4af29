using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct iovec: one piece of a scatter/gather list for readv/writev/sendmsg.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVector
{
    public byte* Base;
    public nuint Length;

    public IoVector(byte* @base, int length)
    {
        Base = @base;
        Length = (nuint)length;
    }
}
