namespace Netpoll.Polling;

/// <summary>What a registration wants to hear about.</summary>
[Flags]
internal enum Interest
{
    None = 0,
    Read = 1,
    Write = 2,
}
