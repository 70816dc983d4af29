using Netpoll.Tests.PublicApi;

namespace Netpoll.Load.Tests.PublicApi;

/// <summary>
/// The load generator's public surface is pinned in src/NetpollLoad/PublicAPI.txt, as the engine's is in its
/// own: any change is a visible diff in review. Regenerate with NETPOLL_UPDATE_PUBLIC_API=1 and commit.
/// </summary>
public class LoadPublicApiTests
{
    [Fact]
    public void The_public_surface_matches_the_committed_baseline() =>
        PublicApiBaseline.AssertMatches(typeof(LoadGenerator).Assembly, "src/NetpollLoad/PublicAPI.txt", "tests/NetpollLoad.Tests", nameof(LoadPublicApiTests));
}
