namespace Netpoll.Diagnostics;

/// <summary>
/// Counters of one poller. Each field has one writer: the poller thread, except the few marked
/// "any thread" which use interlocked adds. Readers take a <see cref="PollerStats"/> snapshot.
/// </summary>
internal sealed class PollerCounters
{
    public long Registered;      // connections currently registered (poller thread)
    public long Accepted;        // connections accepted by listeners on this poller
    public long Closed;          // connections closed on this poller
    public long Waits;           // epoll_wait/kevent calls
    public long Events;          // readiness events handled
    public long Wakeups;         // waits interrupted by another thread
    public long BytesIn;         // bytes read from sockets
    public long BytesOut;        // bytes written (any thread: caller-side flushes)
    public long ReadCalls;       // read syscalls
    public long WriteCalls;      // sendmsg syscalls (any thread)
    public long WaitedFlushes;   // flushes that had to arm write interest (any thread)
    public long Paused;          // connections whose reading is paused by backpressure (any thread)
    public long BusyTicks;       // Stopwatch ticks spent outside waits
    public long WaitTicks;       // Stopwatch ticks spent inside waits
    public long AcceptBackoffs;  // times accept stopped on EMFILE/ENFILE
    public long Timeouts;        // idle/read/write deadlines that fired
}
