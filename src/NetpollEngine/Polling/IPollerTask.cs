namespace Netpoll.Polling;

/// <summary>Work another thread hands to a poller thread (registration, close, deadline change).</summary>
internal interface IPollerTask
{
    void Run(Poller poller);
}
