using System.Reflection;
using System.Runtime.InteropServices;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// The platform's OpenSSL 3, found on first use: on Linux the same libssl.so.3 and libcrypto.so.3 that .NET's
/// own cryptography uses, so the engine ships no native code and a process has one OpenSSL. Elsewhere the
/// libraries have other names and places (macOS has none in the system: Homebrew or MacPorts installs them),
/// so the P/Invoke names in <see cref="LibSsl"/> and <see cref="LibCrypto"/> are resolved here, per OS, to the
/// first pair that loads. When none does, TLS throws a <see cref="PlatformNotSupportedException"/> naming what
/// was tried and how to install it; nothing is called that could crash the process.
/// </summary>
internal static class TlsLibrary
{
    private const ulong MinimumVersion = 0x30000000UL;
    private static readonly Lazy<string?> s_problem = new(Load);
    private static nint s_ssl;
    private static nint s_crypto;

    /// <summary>Throws a clear <see cref="PlatformNotSupportedException"/> when TLS cannot work here.</summary>
    public static void EnsureAvailable()
    {
        if (s_problem.Value is { } problem)
        {
            throw new PlatformNotSupportedException(problem);
        }
    }

    /// <summary>
    /// Where OpenSSL 3 may be on <paramref name="os"/>, in the order tried: pairs of (libssl, libcrypto) from the
    /// same install, so the two always match. A bare name is left to the system's loader search.
    /// </summary>
    public static IReadOnlyList<(string Ssl, string Crypto)> Candidates(OSPlatform os, Architecture architecture)
    {
        if (os == OSPlatform.OSX)
        {
            // Homebrew on Apple silicon, then on Intel, then MacPorts; a bare name last (DYLD_LIBRARY_PATH).
            string[] folders = ["/opt/homebrew/opt/openssl@3/lib", "/usr/local/opt/openssl@3/lib", "/opt/local/lib"];
            return [.. folders.Select(f => ($"{f}/libssl.3.dylib", $"{f}/libcrypto.3.dylib")), ("libssl.3.dylib", "libcrypto.3.dylib")];
        }

        if (os == OSPlatform.Windows)
        {
            string suffix = architecture switch { Architecture.Arm64 => "-arm64", Architecture.X86 => "", _ => "-x64" };
            return [($"libssl-3{suffix}.dll", $"libcrypto-3{suffix}.dll")];
        }

        if (os == OSPlatform.FreeBSD)
        {
            return [("libssl.so.30", "libcrypto.so.30"), (LibSsl.Lib, LibCrypto.Lib)];
        }

        return [(LibSsl.Lib, LibCrypto.Lib)];
    }

    /// <summary>The first candidate pair whose two libraries both load, or null with the reason in <paramref name="problem"/>.</summary>
    public static (nint Ssl, nint Crypto)? Probe(IReadOnlyList<(string Ssl, string Crypto)> candidates, out string? problem)
    {
        foreach ((string ssl, string crypto) in candidates)
        {
            // libcrypto first: libssl depends on it, and a lone libssl is no use.
            if (NativeLibrary.TryLoad(crypto, out nint cryptoHandle))
            {
                if (NativeLibrary.TryLoad(ssl, out nint sslHandle))
                {
                    problem = null;
                    return (sslHandle, cryptoHandle);
                }

                NativeLibrary.Free(cryptoHandle);
            }
        }

        string tried = string.Join(", ", candidates.Select(c => $"{c.Ssl} with {c.Crypto}"));
        problem = $"TLS in Netpoll uses the platform's OpenSSL 3 (libssl and libcrypto), and none could be loaded; tried {tried}. {InstallHint()}";
        return null;
    }

    private static string InstallHint() =>
        OperatingSystem.IsMacOS() ? "On macOS: brew install openssl@3 (or port install openssl3)."
        : OperatingSystem.IsWindows() ? "On Windows: install OpenSSL 3 and put its bin folder on PATH."
        : "On Debian or Ubuntu: apt-get install libssl3; on Fedora or RHEL: dnf install openssl-libs.";

    private static OSPlatform CurrentOs() =>
        OperatingSystem.IsMacOS() ? OSPlatform.OSX
        : OperatingSystem.IsWindows() ? OSPlatform.Windows
        : OperatingSystem.IsFreeBSD() ? OSPlatform.FreeBSD
        : OSPlatform.Linux;

    private static string? Load()
    {
        if (Probe(Candidates(CurrentOs(), RuntimeInformation.ProcessArchitecture), out string? problem) is not { } found)
        {
            return problem;
        }

        s_ssl = found.Ssl;
        s_crypto = found.Crypto;
        try
        {
            // One resolver per assembly: the engine's other imports (libc) keep the default search.
            NativeLibrary.SetDllImportResolver(typeof(TlsLibrary).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A host set a resolver for this assembly first; it then decides where OpenSSL comes from.
        }

        ulong version = LibCrypto.OpenSslVersionNumber();
        return version >= MinimumVersion ? null : $"TLS in Netpoll needs OpenSSL 3.0 or later; the libcrypto loaded reports version 0x{version:X}.";
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        LibSsl.Lib => s_ssl,
        LibCrypto.Lib => s_crypto,
        _ => 0, // the default search
    };
}
