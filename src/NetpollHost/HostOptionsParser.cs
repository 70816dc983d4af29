namespace Netpoll.Host;

/// <summary>
/// Parses the host's command line the way pwsh parses its own: options are case-insensitive and start with
/// '-' or '--'; everything after <c>-File path</c> belongs to the script; everything after <c>-Command</c> is
/// joined with spaces into the command text; a first bare argument is taken as the script file.
/// </summary>
internal static class HostOptionsParser
{
    public static HostOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0)
        {
            throw new CommandLineException("Nothing to run: give -File <script.ps1> or -Command <text>.");
        }

        var modules = new List<string>();
        bool noDefaultModule = false;
        bool nonInteractive = false;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? option = OptionName(arg);
            if (option is null)
            {
                // pwsh treats the first bare argument as the script file.
                return FileOptions(args, i, modules, noDefaultModule, nonInteractive);
            }

            switch (option)
            {
                case "help" or "h" or "?":
                    return new HostOptions { Mode = HostRunMode.Help };
                case "noprofile" or "nop":
                    break; // This host never runs profiles; accepted so pwsh command lines work unchanged.
                case "noninteractive" or "noni":
                    nonInteractive = true;
                    break;
                case "nodefaultmodule":
                    noDefaultModule = true;
                    break;
                case "module":
                    modules.Add(ValueAfter(args, ref i, "-Module needs a module path or name."));
                    break;
                case "file" or "f":
                    if (i + 1 >= args.Count)
                    {
                        throw new CommandLineException("-File needs a script path.");
                    }

                    return FileOptions(args, i + 1, modules, noDefaultModule, nonInteractive);
                case "command" or "c":
                    return CommandOptions(args, i + 1, modules, noDefaultModule, nonInteractive);
                default:
                    throw new CommandLineException($"Unknown option '{arg}'.");
            }
        }

        throw new CommandLineException("Nothing to run: give -File <script.ps1> or -Command <text>.");
    }

    private static HostOptions FileOptions(IReadOnlyList<string> args, int pathIndex, List<string> modules, bool noDefaultModule, bool nonInteractive) =>
        new()
        {
            Mode = HostRunMode.File,
            FilePath = args[pathIndex],
            ScriptArguments = args.Skip(pathIndex + 1).ToArray(),
            Modules = modules,
            NoDefaultModule = noDefaultModule,
            NonInteractive = nonInteractive,
        };

    private static HostOptions CommandOptions(IReadOnlyList<string> args, int textIndex, List<string> modules, bool noDefaultModule, bool nonInteractive)
    {
        if (textIndex >= args.Count)
        {
            throw new CommandLineException("-Command needs command text, or '-' to read it from stdin.");
        }

        bool fromStdin = args[textIndex] == "-";
        if (fromStdin && textIndex + 1 < args.Count)
        {
            throw new CommandLineException("-Command - reads the command from stdin and takes no further arguments.");
        }

        return new HostOptions
        {
            Mode = fromStdin ? HostRunMode.CommandFromStdin : HostRunMode.Command,
            CommandText = fromStdin ? null : string.Join(' ', args.Skip(textIndex)),
            Modules = modules,
            NoDefaultModule = noDefaultModule,
            NonInteractive = nonInteractive,
        };
    }

    private static string ValueAfter(IReadOnlyList<string> args, ref int i, string missingMessage)
    {
        if (i + 1 >= args.Count || string.IsNullOrWhiteSpace(args[i + 1]))
        {
            throw new CommandLineException(missingMessage);
        }

        i++;
        return args[i];
    }

    /// <summary>The lower-case option name of "-Name" or "--Name", or null for a bare argument.</summary>
    private static string? OptionName(string arg)
    {
        if (arg.Length < 2 || arg[0] != '-')
        {
            return null;
        }

        string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
        return name.Length == 0 ? null : name.ToLowerInvariant();
    }
}
