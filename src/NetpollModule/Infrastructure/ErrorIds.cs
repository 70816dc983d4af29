namespace Netpoll.PowerShell;

/// <summary>Stable ErrorRecord ids: scripts match on these, so they never change.</summary>
internal static class ErrorIds
{
    public const string PortInUse = "NetpollPortInUse";
    public const string AddressNotAvailable = "NetpollAddressNotAvailable";
    public const string AccessDenied = "NetpollAccessDenied";
    public const string ListenFailed = "NetpollListenFailed";
    public const string ServerNotFound = "NetpollServerNotFound";
    public const string ServerNameInUse = "NetpollServerNameInUse";
    public const string InvalidTarget = "NetpollInvalidTarget";
    public const string LoadFailed = "NetpollLoadFailed";
    public const string StopTimedOut = "NetpollStopTimedOut";
    public const string InvalidAddress = "NetpollInvalidAddress";
}
