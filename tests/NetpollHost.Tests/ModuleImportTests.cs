using Netpoll.Host.Tests.Support;

namespace Netpoll.Host.Tests;

public sealed class ModuleImportTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_function_from_a_Module_psm1_is_callable()
    {
        string module = _directory.Write("Greeter/Greeter.psm1", "function Get-Greeting { param([string]$Name = 'world') \"Hello, $Name\" }");

        HostResult result = HostProcess.Run("-Module", module, "-Command", "Get-Greeting -Name netpoll; (Get-Module Greeter).Name");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["Hello, netpoll", "Greeter"], result.StdoutLines);
    }

    [Fact]
    public void Modules_are_imported_in_order_before_a_File_script_runs()
    {
        string first = _directory.Write("First/First.psm1", "$global:ImportOrder += @('first'); function Get-First { 'one' }");
        string second = _directory.Write("Second/Second.psm1", "$global:ImportOrder += @('second'); function Get-Second { 'two' }");
        string script = _directory.Write("use.ps1", "($global:ImportOrder -join ','); Get-First; Get-Second");

        HostResult result = HostProcess.Run("-Module", first, "-Module", second, "-File", script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["first,second", "one", "two"], result.StdoutLines);
    }

    [Fact]
    public void A_format_view_from_the_module_manifest_shapes_the_output()
    {
        _directory.Write("Shaped/Shaped.psm1", """
            function Get-ShapedItem {
                [pscustomobject]@{ PSTypeName = 'NetpollHostTest.ShapedItem'; Name = 'a'; Hidden = 'secret-1' }
                [pscustomobject]@{ PSTypeName = 'NetpollHostTest.ShapedItem'; Name = 'b'; Hidden = 'secret-2' }
            }
            """);
        _directory.Write("Shaped/Shaped.format.ps1xml", """
            <Configuration>
              <ViewDefinitions>
                <View>
                  <Name>ShapedItem</Name>
                  <ViewSelectedBy><TypeName>NetpollHostTest.ShapedItem</TypeName></ViewSelectedBy>
                  <TableControl>
                    <TableHeaders><TableColumnHeader><Label>ItemName</Label></TableColumnHeader></TableHeaders>
                    <TableRowEntries><TableRowEntry><TableColumnItems>
                      <TableColumnItem><PropertyName>Name</PropertyName></TableColumnItem>
                    </TableColumnItems></TableRowEntry></TableRowEntries>
                  </TableControl>
                </View>
              </ViewDefinitions>
            </Configuration>
            """);
        string manifest = _directory.Write("Shaped/Shaped.psd1", """
            @{
                RootModule = 'Shaped.psm1'
                ModuleVersion = '1.0.0'
                GUID = '5b0c2f55-1b0e-4c55-9a55-2f4b8c7a9d11'
                FormatsToProcess = @('Shaped.format.ps1xml')
                FunctionsToExport = @('Get-ShapedItem')
            }
            """);

        HostResult result = HostProcess.Run("-Module", manifest, "-Command", "Get-ShapedItem");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ItemName", "--------", "a", "b"], result.StdoutLines);
        Assert.DoesNotContain("secret", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_that_fails_to_import_stops_the_run_with_exit_code_1()
    {
        string broken = _directory.Write("Broken/Broken.psm1", "throw 'cannot load'");
        string script = _directory.Write("never.ps1", "'script ran'");

        HostResult result = HostProcess.Run("-Module", broken, "-File", script);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.Contains("cannot load", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_module_path_that_does_not_exist_is_reported_with_the_import_error_id()
    {
        HostResult result = HostProcess.Run("-Module", Path.Combine(_directory.Path, "Missing.psd1"), "-Command", "'never'");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.Contains("Modules_ModuleNotFound", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_module_named_by_NETPOLL_MODULE_PATH_is_imported_by_default()
    {
        string module = _directory.Write("Defaulted/Defaulted.psm1", "function Get-Defaulted { 'default module loaded' }");
        var environment = new Dictionary<string, string?> { ["NETPOLL_MODULE_PATH"] = module };

        HostResult result = HostProcess.Run(["-Command", "Get-Defaulted"], environment: environment, withDefaultModule: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["default module loaded"], result.StdoutLines);
    }

    [Fact]
    public void NoDefaultModule_skips_the_module_named_by_NETPOLL_MODULE_PATH()
    {
        string module = _directory.Write("Defaulted/Defaulted.psm1", "$Host.UI.WriteLine('imported anyway')");
        var environment = new Dictionary<string, string?> { ["NETPOLL_MODULE_PATH"] = module };

        HostResult result = HostProcess.Run(["-NoDefaultModule", "-Command", "'ran'"], environment: environment, withDefaultModule: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ran"], result.StdoutLines);
    }
}
