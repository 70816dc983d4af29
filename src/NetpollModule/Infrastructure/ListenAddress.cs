using System.Management.Automation;
using System.Net;
using System.Net.Sockets;

namespace Netpoll.PowerShell;

/// <summary>What Start-NetpollServer and Start-NetpollProxy share about listening: the -Address they take and the errors of a failed listen.</summary>
internal static class ListenAddress
{
    /// <summary>-Address and -Port as an end point (localhost means 127.0.0.1); a terminating NetpollInvalidAddress error when it is not an IP address.</summary>
    public static IPEndPoint Parse(PSCmdlet cmdlet, string address, int port)
    {
        string text = address.Trim('[', ']');
        if (string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            text = "127.0.0.1";
        }

        if (!IPAddress.TryParse(text, out IPAddress? parsed))
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"'{address}' is not an IP address. Give an IPv4 or IPv6 address such as 127.0.0.1 or ::1."),
                ErrorIds.InvalidAddress, ErrorCategory.InvalidArgument, address));
        }

        return new IPEndPoint(parsed!, port);
    }

    /// <summary>Why <paramref name="target"/> cannot be listened on, with the id scripts match and a hint.</summary>
    public static ErrorRecord Failed(SocketException ex, string target)
    {
        (string id, ErrorCategory category, string hint) = ex.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => (ErrorIds.PortInUse, ErrorCategory.ResourceBusy, " Another process or server listens there: pick another -Port, or -Port 0 for any free port."),
            SocketError.AddressNotAvailable => (ErrorIds.AddressNotAvailable, ErrorCategory.InvalidArgument, " The address is not on this machine."),
            SocketError.AccessDenied => (ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, " Ports below 1024 need root or CAP_NET_BIND_SERVICE."),
            _ => (ErrorIds.ListenFailed, ErrorCategory.OpenError, ""),
        };
        return new ErrorRecord(new IOException(ex.Message + hint, ex), id, category, target);
    }
}
