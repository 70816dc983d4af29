using System.Reflection;
using System.Runtime.Loader;
using Netpoll.Diagnostics;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>
/// The private AssemblyLoadContext of the telemetry sinks. OpenTelemetry and Microsoft.Extensions.*
/// resolve from the sinks' folder first, so another module's versions of them in the default context
/// (loaded before or after us) are never used here, and ours never land there. Three kinds of assembly
/// are shared with the default context instead: the bridge (its interface is the only type that
/// crosses), the engine (one meter, one event source per process) and the .NET framework's System.*
/// assemblies (System.Diagnostics.Metrics must be the same types the engine publishes with).
/// </summary>
internal sealed class TelemetryLoadContext : AssemblyLoadContext
{
    public const string ContextName = "Netpoll.Telemetry";

    private readonly string _directory;
    private readonly Dictionary<string, Assembly> _shared;

    public TelemetryLoadContext(string directory)
        : base(ContextName, isCollectible: false)
    {
        _directory = directory;
        Assembly bridge = typeof(ITelemetrySinks).Assembly;
        Assembly engine = typeof(NetpollDiagnostics).Assembly;
        _shared = new(StringComparer.OrdinalIgnoreCase)
        {
            [bridge.GetName().Name!] = bridge,
            [engine.GetName().Name!] = engine,
        };
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string? name = assemblyName.Name;
        if (name is null)
        {
            return null;
        }

        if (_shared.TryGetValue(name, out Assembly? shared))
        {
            return shared;
        }

        // By name, not by folder: pwsh is usually self-contained, so its runtime folder holds its own libraries too.
        if (name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "netstandard" or "mscorlib")
        {
            return null;
        }

        string path = Path.Combine(_directory, name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
