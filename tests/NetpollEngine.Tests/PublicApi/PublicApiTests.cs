using Netpoll.Connections;

namespace Netpoll.Tests.PublicApi;

/// <summary>
/// The engine's public surface is pinned in src/NetpollEngine/PublicAPI.txt: any change to it is a
/// visible diff in review. On purpose: regenerate with NETPOLL_UPDATE_PUBLIC_API=1 and commit the file.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void The_public_surface_matches_the_committed_baseline() =>
        PublicApiBaseline.AssertMatches(typeof(Connection).Assembly, "src/NetpollEngine/PublicAPI.txt", "tests/NetpollEngine.Tests", nameof(PublicApiTests));
}
