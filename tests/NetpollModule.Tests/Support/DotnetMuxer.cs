using System.Runtime.InteropServices;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// The dotnet executable running these tests: DOTNET_HOST_PATH when the SDK set it, this process when it is the
/// muxer, else the muxer that owns the running shared runtime (…/shared/Microsoft.NETCore.App/x.y.z/).
/// </summary>
internal static class DotnetMuxer
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        string muxerName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && System.IO.Path.GetFileName(self) == muxerName)
        {
            return self;
        }

        string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", muxerName));
        return File.Exists(candidate) ? candidate : muxerName;
    }
}
