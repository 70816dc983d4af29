using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

/// <summary>The README's C# echo server is samples/EchoServer/Program.cs, which the solution compiles.</summary>
public class ReadmeSampleTests
{
    [Fact]
    public void The_readme_echo_server_is_the_sample_the_solution_builds_and_fits_in_15_lines()
    {
        string root = RepositoryPaths.Root();
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        int section = readme.IndexOf("## The engine as a library: a 15-line echo server", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has the echo server section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        string fromReadme = readme[start..end];

        string sample = File.ReadAllText(Path.Combine(root, "samples", "EchoServer", "Program.cs")).ReplaceLineEndings("\n");
        Assert.Equal(sample, fromReadme);
        Assert.True(fromReadme.TrimEnd('\n').Split('\n').Length <= 15, $"the sample has {fromReadme.Split('\n').Length} lines");
    }
}
