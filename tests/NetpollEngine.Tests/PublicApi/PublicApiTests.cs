using Netpoll.Connections;

namespace Netpoll.Tests.PublicApi;

/// <summary>
/// The engine's public surface is pinned in src/NetpollEngine/PublicAPI.txt: any change to it is a
/// visible diff in review. On purpose: regenerate with NETPOLL_UPDATE_PUBLIC_API=1 and commit the file.
/// </summary>
public class PublicApiTests
{
    private const string UpdateVariable = "NETPOLL_UPDATE_PUBLIC_API";

    [Fact]
    public void The_public_surface_matches_the_committed_baseline()
    {
        string baselinePath = Path.Combine(RepositoryRoot(), "src", "NetpollEngine", "PublicAPI.txt");
        IReadOnlyList<string> actual = PublicApiSurface.Of(typeof(Connection).Assembly);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(baselinePath, string.Join('\n', actual) + "\n");
        }

        string[] committed = File.Exists(baselinePath)
            ? [.. File.ReadAllText(baselinePath).ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries)]
            : [];
        string[] added = [.. actual.Except(committed, StringComparer.Ordinal)];
        string[] removed = [.. committed.Except(actual, StringComparer.Ordinal)];

        Assert.True(added.Length == 0 && removed.Length == 0,
            $"The engine's public API differs from {baselinePath}.\n" +
            string.Concat(added.Select(l => $"+ {l}\n")) + string.Concat(removed.Select(l => $"- {l}\n")) +
            $"If the change is intended, run: {UpdateVariable}=1 dotnet test tests/NetpollEngine.Tests --filter FullyQualifiedName~PublicApiTests, and commit PublicAPI.txt.");
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Netpoll.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Netpoll.slnx not found above {AppContext.BaseDirectory}.");
    }
}
