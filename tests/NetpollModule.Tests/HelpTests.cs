using System.Management.Automation;

namespace Netpoll.PowerShell.Tests;

public class HelpTests
{
    /// <summary>Every command the manifest exports: a new cmdlet without help fails here.</summary>
    public static TheoryData<string> Commands
    {
        get
        {
            var ast = System.Management.Automation.Language.Parser.ParseFile(PowerShellSession.ManifestPath, out _, out _);
            var manifest = (System.Collections.Hashtable)((System.Management.Automation.Language.HashtableAst)ast.Find(a => a is System.Management.Automation.Language.HashtableAst, false)!).SafeGetValue();
            return [.. ((object[])manifest["CmdletsToExport"]!).Cast<string>()];
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_cmdlet_has_a_synopsis_a_description_an_example_and_help_for_every_parameter(string command)
    {
        using var ps = new PowerShellSession();
        PSObject help = Assert.Single(ps.Run($"Get-Help {command} -Full"));

        // Without a help file, Get-Help makes help up from the syntax; only MAML help has this type name.
        Assert.Contains(help.TypeNames, t => t.Contains("MamlCommandHelpInfo", StringComparison.Ordinal));
        string synopsis = help.Properties["Synopsis"].Value?.ToString() ?? "";
        // Without a help file, PowerShell's synopsis is the syntax, which starts with the command name.
        Assert.False(string.IsNullOrWhiteSpace(synopsis) || synopsis.TrimStart().StartsWith(command, StringComparison.Ordinal), $"{command} has no synopsis: {synopsis}");
        Assert.False(string.IsNullOrWhiteSpace(Text(help, "description")), $"{command} has no description");
        // @($null).Count is 1 in PowerShell: count only real example objects.
        int examples = ps.Run($"@((Get-Help {command} -Examples).examples.example | Where-Object {{ $_ }}).Count").Select(o => (int)o.BaseObject).Single();
        Assert.True(examples >= 1, $"{command} has no example");

        // Every declared parameter (common parameters excepted) has a description.
        var declared = ps.Run($"(Get-Command {command}).Parameters.Keys").Select(o => (string)o.BaseObject)
            .Where(p => !Cmdlet.CommonParameters.Contains(p) && !Cmdlet.OptionalCommonParameters.Contains(p)).ToList();
        foreach (string parameter in declared)
        {
            var described = ps.Run($"(Get-Help {command} -Parameter {parameter}).description.Text -join ' '");
            Assert.False(string.IsNullOrWhiteSpace(described.SingleOrDefault()?.BaseObject as string), $"{command} -{parameter} has no help");
        }
    }

    [Fact]
    public void About_Netpoll_is_reachable()
    {
        using var ps = new PowerShellSession();
        string text = string.Join("\n", ps.Run("Get-Help about_Netpoll | ForEach-Object { $_.ToString() }").Select(o => o.ToString()));
        Assert.Contains("Start-NetpollServer", text, StringComparison.Ordinal);
        Assert.Contains("NetpollPortInUse", text, StringComparison.Ordinal);
    }

    private static string Text(PSObject help, string property) =>
        string.Join(" ", (help.Properties[property]?.Value as object[] ?? []).Select(o => ((PSObject)o).Properties["Text"]?.Value?.ToString()));
}
