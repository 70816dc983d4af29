using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests.Units;

public sealed class DefaultModuleLocatorTests : IDisposable
{
    private readonly TestDirectory _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_environment_variable_wins_and_is_taken_as_given()
    {
        string hostDirectory = Directory.CreateDirectory(Path.Combine(_tree.Path, "repo", "bin")).FullName;
        _tree.Write("repo/Netpoll.psd1", "@{}");

        Assert.Equal("SomeModuleName", DefaultModuleLocator.Locate("SomeModuleName", hostDirectory));
    }

    [Fact]
    public void A_blank_environment_variable_falls_back_to_the_walk()
    {
        string hostDirectory = Directory.CreateDirectory(Path.Combine(_tree.Path, "repo", "bin")).FullName;
        string manifest = _tree.Write("repo/Netpoll.psd1", "@{}");

        Assert.Equal(manifest, DefaultModuleLocator.Locate("   ", hostDirectory));
    }

    [Fact]
    public void The_walk_finds_the_nearest_manifest_from_the_host_directory_upwards()
    {
        Directory.CreateDirectory(Path.Combine(_tree.Path, "repo", ".git"));
        _tree.Write("repo/Netpoll.psd1", "@{}");
        string nearer = _tree.Write("repo/artifacts/Netpoll.psd1", "@{}");
        string hostDirectory = Directory.CreateDirectory(Path.Combine(_tree.Path, "repo", "artifacts", "bin", "debug")).FullName;

        Assert.Equal(nearer, DefaultModuleLocator.Locate(null, hostDirectory));
    }

    [Fact]
    public void The_walk_checks_the_host_directory_itself_first()
    {
        string hostDirectory = Directory.CreateDirectory(Path.Combine(_tree.Path, "staged")).FullName;
        string beside = _tree.Write("staged/Netpoll.psd1", "@{}");

        Assert.Equal(beside, DefaultModuleLocator.Locate(null, hostDirectory));
    }

    [Fact]
    public void The_walk_stops_at_the_repository_root_whether_git_is_a_folder_or_a_worktree_file()
    {
        _tree.Write("Netpoll.psd1", "@{}"); // outside the repository: must not be found
        _tree.Write("repo/.git", "gitdir: /elsewhere");
        string hostDirectory = Directory.CreateDirectory(Path.Combine(_tree.Path, "repo", "bin")).FullName;

        Assert.Null(DefaultModuleLocator.Locate(null, hostDirectory));
    }
}
