namespace Netpoll.Polling;

/// <summary>An io_uring call failed; <see cref="Errno"/> is the kernel's answer.</summary>
internal sealed class IoUringException : Exception
{
    public IoUringException(string operation, int errno)
        : base($"{operation} failed with errno {errno}.")
    {
        Operation = operation;
        Errno = errno;
    }

    public string Operation { get; }

    public int Errno { get; }
}
