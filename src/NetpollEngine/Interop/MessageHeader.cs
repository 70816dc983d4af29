using System.Runtime.InteropServices;

namespace Netpoll.Interop;

/// <summary>struct msghdr, for sendmsg with MSG_NOSIGNAL (writev takes no flags).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public void* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public nuint VectorCount; // size_t on Linux; int on macOS, where the padding keeps the layout.
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
