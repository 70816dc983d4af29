namespace Netpoll.PowerShell.Tests;

/// <summary>The repository the tests were built from: the directory holding Netpoll.psd1, above the test binaries.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (File.Exists(System.IO.Path.Combine(dir, "Netpoll.psd1")))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException("The repository root (with Netpoll.psd1) is not above the test directory.");
    }
}
