namespace Netpoll.Host.Tests.Support;

/// <summary>Finds files of the repository the tests were built from.</summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding Netpoll.psd1, searched upwards from the test binaries.</summary>
    public static string Root()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Netpoll.psd1")))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException("The repository root (with Netpoll.psd1) is not above the test directory.");
    }
}
