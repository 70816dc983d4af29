namespace Netpoll.PowerShell.Tuning;

/// <summary>The system the tuning cmdlets act on: the real one, or a fake that tests install.</summary>
internal static class SystemAccess
{
    private static ISystemAccess? s_override;

    public static ISystemAccess Current => s_override ?? Real.Value;

    private static readonly Lazy<ISystemAccess> Real = new(() =>
        OperatingSystem.IsLinux() ? new LinuxSystemAccess()
        : OperatingSystem.IsMacOS() ? new MacSystemAccess()
        : throw new PlatformNotSupportedException("Netpoll tuning supports Linux and macOS."));

    /// <summary>For tests: act on <paramref name="system"/> until the returned scope is disposed.</summary>
    public static IDisposable Use(ISystemAccess system)
    {
        s_override = system;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        public void Dispose() => s_override = null;
    }
}
