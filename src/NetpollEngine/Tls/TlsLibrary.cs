using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// The platform's OpenSSL 3, loaded on first use: the same libssl.so.3 and libcrypto.so.3 that .NET's own
/// cryptography uses on Linux, so the engine ships no native code and a process has one OpenSSL.
/// </summary>
internal static class TlsLibrary
{
    private const ulong MinimumVersion = 0x30000000UL;
    private static readonly Lazy<string?> s_problem = new(FindProblem);

    /// <summary>Throws a clear <see cref="PlatformNotSupportedException"/> when TLS cannot work here.</summary>
    public static void EnsureAvailable()
    {
        if (s_problem.Value is { } problem)
        {
            throw new PlatformNotSupportedException(problem);
        }
    }

    private static string? FindProblem()
    {
        foreach (string library in new[] { LibSsl.Lib, LibCrypto.Lib })
        {
            if (!NativeLibrary.TryLoad(library, typeof(TlsLibrary).Assembly, null, out _))
            {
                return $"TLS in Netpoll uses the platform's OpenSSL 3, and {library} could not be loaded. " +
                       "On Debian or Ubuntu: apt-get install libssl3 (on other systems, OpenSSL 3's libssl and libcrypto).";
            }
        }

        ulong version = LibCrypto.OpenSslVersionNumber();
        return version >= MinimumVersion ? null : $"TLS in Netpoll needs OpenSSL 3.0 or later; {LibCrypto.Lib} reports version 0x{version:X}.";
    }
}
