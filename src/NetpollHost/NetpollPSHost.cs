using System.Globalization;
using System.Management.Automation.Host;
using System.Reflection;

namespace Netpoll.Host;

/// <summary>
/// The <see cref="PSHost"/> the engine talks to: identity, culture, the console UI, and the request to exit
/// that an <c>exit N</c> at the top level of a command makes.
/// </summary>
internal sealed class NetpollPSHost : PSHost
{
    private readonly ConsoleUserInterface _ui;
    private volatile bool _exitRequested;
    private int _requestedExitCode;

    public NetpollPSHost(HostConsole console, bool nonInteractive)
    {
        _ui = new ConsoleUserInterface(console, nonInteractive);
    }

    public override string Name => "NetpollHost";

    public override Version Version { get; } = typeof(NetpollPSHost).Assembly.GetName().Version ?? new Version(0, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    // Captured at start-up: the engine may change the thread's culture while a pipeline runs.
    public override CultureInfo CurrentCulture { get; } = CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture { get; } = CultureInfo.CurrentUICulture;

    /// <summary>True once the engine has asked the host to exit (an <c>exit</c> outside any script file).</summary>
    public bool ExitRequested => _exitRequested;

    public int RequestedExitCode => Volatile.Read(ref _requestedExitCode);

    public override void SetShouldExit(int exitCode)
    {
        Volatile.Write(ref _requestedExitCode, exitCode);
        _exitRequested = true;
    }

    public override void EnterNestedPrompt() =>
        throw new NotSupportedException("NetpollHost runs scripts and commands only; it has no interactive nested prompt.");

    public override void ExitNestedPrompt() =>
        throw new NotSupportedException("NetpollHost runs scripts and commands only; it has no interactive nested prompt.");

    // The engine calls these around native commands so a host can hand the console over and take it back;
    // this host never changes console modes, so there is nothing to save or restore.
    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    /// <summary>The informational version of the host assembly, for the usage text.</summary>
    public static string DisplayVersion =>
        typeof(NetpollPSHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(NetpollPSHost).Assembly.GetName().Version?.ToString()
        ?? "0.0";
}
