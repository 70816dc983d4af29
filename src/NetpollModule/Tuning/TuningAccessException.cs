namespace Netpoll.PowerShell.Tuning;

/// <summary>A setting could not be read or changed; <see cref="Reason"/> says why in operator terms.</summary>
public sealed class TuningAccessException : Exception
{
    public TuningAccessException()
    {
        Reason = TuningRefusal.Other;
    }

    public TuningAccessException(string message)
        : base(message)
    {
        Reason = TuningRefusal.Other;
    }

    public TuningAccessException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = TuningRefusal.Other;
    }

    public TuningAccessException(TuningRefusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public TuningRefusal Reason { get; }
}
