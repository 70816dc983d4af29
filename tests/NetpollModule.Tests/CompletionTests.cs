namespace Netpoll.PowerShell.Tests;

/// <summary>The argument completers: tab completion offers what is running in this session.</summary>
public class CompletionTests
{
    [Fact]
    public void Name_and_Target_complete_from_the_servers_that_are_running()
    {
        using var ps = new PowerShellSession();
        NetpollServer server = ps.Single<NetpollServer>("Start-NetpollServer -Name web-a -Port 0");
        ps.Run("Start-NetpollServer -Name other -Port 0");
        var names = ps.Run("(TabExpansion2 -inputScript 'Stop-NetpollServer -Name web' -cursorColumn 28).CompletionMatches | ForEach-Object ListItemText");
        Assert.Equal(["web-a"], names.Select(o => (string)o.BaseObject));
        var targets = ps.Run("(TabExpansion2 -inputScript 'Invoke-NetpollLoad -Target ' -cursorColumn 27).CompletionMatches | ForEach-Object ListItemText");
        Assert.Contains($"127.0.0.1:{server.Port}", targets.Select(o => (string)o.BaseObject));
    }
}
