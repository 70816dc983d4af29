namespace Netpoll.Host;

/// <summary>Entry point: parse the command line, resolve what to run and which modules to load, run it.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        HostConsole console = HostConsole.FromProcess();
        try
        {
            HostOptions options = HostOptionsParser.Parse(args);
            if (options.Mode == HostRunMode.Help)
            {
                console.WriteLine(HostStream.Output, Usage.Text);
                return ExitCodes.Success;
            }

            ScriptWork work = WorkFor(options);
            var stopper = new PipelineStopper();
            using var signals = new StopSignals(stopper, console);
            return new ScriptRunner(console, stopper).Run(work, ModulesFor(options), options.NonInteractive);
        }
        catch (CommandLineException e)
        {
            console.WriteLine(HostStream.Error, $"netpoll-host: {e.Message}");
            console.WriteLine(HostStream.Error, "Run 'netpoll-host -Help' for usage.");
            return ExitCodes.Usage;
        }
        catch (System.Management.Automation.RuntimeException e)
        {
            // The engine failed outside any script (e.g. opening the runspace): report it as the host's failure.
            console.WriteLine(HostStream.Error, ErrorRecordText.Format(e));
            return ExitCodes.InternalError;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            console.WriteLine(HostStream.Error, $"netpoll-host: {e.Message}");
            return ExitCodes.InternalError;
        }
    }

    private static ScriptWork WorkFor(HostOptions options) => options.Mode switch
    {
        HostRunMode.File => ScriptWork.ForFile(ResolveScript(options.FilePath!), options.ScriptArguments),
        HostRunMode.Command => ScriptWork.ForCommand(options.CommandText!),
        HostRunMode.CommandFromStdin => ScriptWork.ForCommand(Console.In.ReadToEnd()),
        _ => throw new CommandLineException($"Nothing to run for mode {options.Mode}."),
    };

    /// <summary>The default module (unless -NoDefaultModule), then each -Module in order.</summary>
    private static List<string> ModulesFor(HostOptions options)
    {
        var modules = new List<string>();
        if (!options.NoDefaultModule && DefaultModuleLocator.Locate() is { } defaultModule)
        {
            modules.Add(defaultModule);
        }

        modules.AddRange(options.Modules);
        return modules;
    }

    private static string ResolveScript(string path)
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new CommandLineException($"The script file '{path}' does not exist.");
        }

        if (!fullPath.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandLineException($"The script file '{path}' does not have a .ps1 extension; the engine would run it as a program.");
        }

        return fullPath;
    }
}
