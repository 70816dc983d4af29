using System.Reflection;

namespace Netpoll.Tests.PublicApi;

/// <summary>
/// Compares an assembly's public surface (<see cref="PublicApiSurface"/>) with its committed baseline file and
/// fails with the lines added and removed. With NETPOLL_UPDATE_PUBLIC_API=1 it rewrites the baseline first.
/// </summary>
internal static class PublicApiBaseline
{
    private const string UpdateVariable = "NETPOLL_UPDATE_PUBLIC_API";

    /// <param name="assembly">The assembly whose surface is pinned.</param>
    /// <param name="baseline">The baseline's path under the repository root, e.g. src/NetpollEngine/PublicAPI.txt.</param>
    /// <param name="testProject">The test project to name in the regenerate command.</param>
    /// <param name="testClass">The test class to name in the regenerate command.</param>
    public static void AssertMatches(Assembly assembly, string baseline, string testProject, string testClass)
    {
        string baselinePath = Path.Combine(RepositoryRoot(), baseline);
        IReadOnlyList<string> actual = PublicApiSurface.Of(assembly);
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
            $"The public API of {assembly.GetName().Name} differs from {baselinePath}.\n" +
            string.Concat(added.Select(l => $"+ {l}\n")) + string.Concat(removed.Select(l => $"- {l}\n")) +
            $"If the change is intended, run: {UpdateVariable}=1 dotnet test {testProject} --filter FullyQualifiedName~{testClass}, and commit {baseline}.");
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
