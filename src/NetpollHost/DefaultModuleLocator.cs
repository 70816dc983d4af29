namespace Netpoll.Host;

/// <summary>
/// Finds the Netpoll module the host imports before anything else. The rule, in order:
/// <list type="number">
/// <item>If the environment variable <see cref="EnvironmentVariable"/> is set and not blank, its value is the
/// module (a .psd1/.psm1/.dll path, a module folder, or a module name), taken as given.</item>
/// <item>Otherwise the host looks for <see cref="ManifestFileName"/> in its own directory, then in each parent
/// directory, and stops after the first directory that holds a <c>.git</c> entry (the repository root) or at
/// the file-system root.</item>
/// <item>If neither finds one, there is no default module.</item>
/// </list>
/// </summary>
internal static class DefaultModuleLocator
{
    public const string EnvironmentVariable = "NETPOLL_MODULE_PATH";
    public const string ManifestFileName = "Netpoll.psd1";

    /// <summary>The default module for this process: its environment and the directory of the host binary.</summary>
    public static string? Locate() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);

    public static string? Locate(string? environmentValue, string hostDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            return environmentValue;
        }

        for (DirectoryInfo? directory = new(hostDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, ManifestFileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            if (IsRepositoryRoot(directory))
            {
                return null;
            }
        }

        return null;
    }

    // A worktree or submodule has a .git file rather than a folder; both mark the root.
    private static bool IsRepositoryRoot(DirectoryInfo directory)
    {
        string gitEntry = Path.Combine(directory.FullName, ".git");
        return Directory.Exists(gitEntry) || File.Exists(gitEntry);
    }
}
