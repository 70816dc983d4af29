using System.Management.Automation;
using System.Reflection;
using Netpoll.Telemetry;

namespace Netpoll.PowerShell;

/// <summary>
/// Finds the staged sinks (artifacts/module/telemetry beside the module dll) and loads them into a
/// <see cref="TelemetryLoadContext"/>. Nothing from that folder is touched until telemetry is enabled.
/// </summary>
internal static class TelemetrySinksLoader
{
    public const string FolderName = "telemetry";
    public const string SinksAssemblyName = "Netpoll.Telemetry.Sinks";
    private const string SinksTypeName = "Netpoll.Telemetry.TelemetrySinks";

    public static ITelemetrySinks Load(PSModuleInfo? module)
    {
        IReadOnlyList<string> candidates = ModuleFolders.Candidates(module, FolderName);
        string? directory = candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, SinksAssemblyName + ".dll")))
            ?? throw new TelemetryUnavailableException(
                $"Netpoll's telemetry sinks ({SinksAssemblyName}.dll and its dependencies) are not in {string.Join(" or ", candidates.Select(c => $"'{c}'"))}. Build the module (dotnet build Netpoll.slnx) so the folder is staged.");

        try
        {
            var context = new TelemetryLoadContext(directory);
            Assembly sinks = context.LoadFromAssemblyPath(Path.Combine(directory, SinksAssemblyName + ".dll"));
            Type type = sinks.GetType(SinksTypeName, throwOnError: true)!;
            return (ITelemetrySinks)Activator.CreateInstance(type)!;
        }
        catch (Exception ex) when (ex is FileLoadException or BadImageFormatException or TypeLoadException or InvalidCastException or FileNotFoundException)
        {
            throw new TelemetryUnavailableException($"Netpoll's telemetry sinks in '{directory}' could not be loaded: {ex.Message}", ex);
        }
    }
}
