using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Where files staged with the module (the load worker, the telemetry folder) are looked for: beside
/// the loaded module dll (pwsh), then beside the manifest's root module, which differs when a host
/// already had the module dll loaded from elsewhere (a test host references it directly).
/// </summary>
internal static class ModuleFolders
{
    public static IReadOnlyList<string> Candidates(PSModuleInfo? module, string relative = "")
    {
        var candidates = new List<string>();
        string? assemblyDirectory = Path.GetDirectoryName(typeof(ModuleFolders).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory))
        {
            candidates.Add(Path.Combine(assemblyDirectory, relative));
        }

        if (module is not null && !string.IsNullOrEmpty(module.ModuleBase))
        {
            string rootModuleDirectory = Path.GetDirectoryName(module.RootModule ?? "") ?? "";
            candidates.Add(Path.GetFullPath(Path.Combine(module.ModuleBase, rootModuleDirectory, relative)));
        }

        return [.. candidates.Select(c => Path.TrimEndingDirectorySeparator(c)).Distinct(StringComparer.Ordinal)];
    }
}
