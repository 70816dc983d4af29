using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Netpoll.Server;

namespace Netpoll.PowerShell.Tests;

public class ModuleTests
{
    [Fact]
    public void The_manifest_exports_exactly_the_commands_the_module_loads()
    {
        using var ps = new PowerShellSession();
        // Import-PowerShellDataFile lives in Microsoft.PowerShell.Utility, which a bare SMA host lacks: parse the data file directly.
        ScriptBlockAst ast = Parser.ParseFile(PowerShellSession.ManifestPath, out _, out ParseError[] parseErrors);
        Assert.Empty(parseErrors);
        var manifest = (Hashtable)((HashtableAst)ast.Find(a => a is HashtableAst, false)!).SafeGetValue();
        string[] declared = [.. ((object[])manifest["CmdletsToExport"]!).Cast<string>().Order()];
        string[] loaded = [.. ps.Run("Get-Command -Module Netpoll | ForEach-Object Name").Select(o => (string)o.BaseObject).Order()];
        Assert.Equal(declared, loaded);
        Assert.Equal("7.6", manifest["PowerShellVersion"]);
    }

    [Fact]
    public void Removing_the_module_stops_every_server()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name doomed");
        ps.Run("Remove-Module Netpoll");
        Assert.Equal(EventLoopState.Stopped, server.State);
        ps.Run($"Import-Module '{PowerShellSession.ManifestPath}'");
        Assert.Empty(ps.Run("Get-NetpollServer"));
    }
}
