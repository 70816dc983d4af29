using System.Runtime.InteropServices;
using Netpoll.Tls;
using Cpu = System.Runtime.InteropServices.Architecture;

namespace Netpoll.Tests.Tls;

/// <summary>Where OpenSSL 3 is looked for per OS, and the error when it is not there (macOS ships none).</summary>
public class TlsLibraryTests
{
    [Fact]
    public void On_macOS_the_homebrew_and_macports_installs_are_tried_as_matching_pairs()
    {
        IReadOnlyList<(string Ssl, string Crypto)> candidates = TlsLibrary.Candidates(OSPlatform.OSX, Cpu.Arm64);

        Assert.Contains(("/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib", "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib"), candidates);
        Assert.Contains(("/usr/local/opt/openssl@3/lib/libssl.3.dylib", "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib"), candidates);
        Assert.All(candidates, c => Assert.Equal(Path.GetDirectoryName(c.Ssl), Path.GetDirectoryName(c.Crypto)));
        Assert.DoesNotContain(candidates, c => c.Ssl.EndsWith(".so.3", StringComparison.Ordinal));
    }

    [Fact]
    public void On_linux_it_is_the_same_libssl_so_3_that_dotnet_uses()
    {
        Assert.Equal([("libssl.so.3", "libcrypto.so.3")], TlsLibrary.Candidates(OSPlatform.Linux, Cpu.X64));
        Assert.Equal("libssl-3-arm64.dll", TlsLibrary.Candidates(OSPlatform.Windows, Cpu.Arm64)[0].Ssl);
    }

    [Fact]
    public void When_no_candidate_loads_the_problem_names_each_one_and_how_to_install_openssl()
    {
        (string, string)[] missing = [("/nonexistent/libssl.3.dylib", "/nonexistent/libcrypto.3.dylib"), ("libssl-netpoll-none.so", "libcrypto-netpoll-none.so")];

        Assert.Null(TlsLibrary.Probe(missing, out string? problem));
        Assert.NotNull(problem);
        Assert.Contains("/nonexistent/libssl.3.dylib", problem, StringComparison.Ordinal);
        Assert.Contains("libcrypto-netpoll-none.so", problem, StringComparison.Ordinal);
        Assert.Contains("OpenSSL 3", problem, StringComparison.Ordinal);
        Assert.Contains("install", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Here_the_platform_pair_loads_and_tls_is_available()
    {
        Assert.NotNull(TlsLibrary.Probe(TlsLibrary.Candidates(OSPlatform.Linux, RuntimeInformation.ProcessArchitecture), out string? problem));
        Assert.Null(problem);
        TlsLibrary.EnsureAvailable();
    }
}
