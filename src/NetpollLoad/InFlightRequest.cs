namespace Netpoll.Load;

/// <summary>
/// A request a connection has written and not yet had answered: which it is on the run's request set, when it was due
/// (a Stopwatch timestamp: its latency runs from it, through every retry) and last sent, and how often it was sent.
/// The same value travels to the slot's next connection when a keep-alive close raced it (<see cref="RequestsToRetry"/>).
/// </summary>
internal readonly record struct InFlightRequest(int Request, long IntendedAt, long SentAt, int Sends);
