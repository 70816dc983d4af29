using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;

namespace Netpoll.PowerShell;

/// <summary>
/// How a number that PowerShell's parser typed by its suffix was written. An unquoted <c>1.5s</c> is read as the
/// [short] 2 and <c>250us</c> as the [ushort] 250 before any parameter sees them, so a duration parameter that gets
/// one looks its argument up in the statement being run (the caller's call-stack frame) to read the unit and the
/// fraction the user wrote. Null when it cannot tell: a parameter not named, a variable or a splat, a host running
/// no script, or two arguments that could be it — another command's argument to a parameter of that name that is
/// not a literal could be the one bound (<c>-Duration $d -ResponseTimeout 1.5s</c> must not read 1.5s for -Duration).
/// </summary>
internal static class SuffixedNumberSource
{
    /// <param name="value">The number as bound (a short or a ushort).</param>
    /// <param name="parameterName">The parameter it is bound to: only an argument given to it (by its name or a prefix) counts. Null: nothing is looked up.</param>
    public static string? Find(object value, string? parameterName)
    {
        if (parameterName is null)
        {
            return null; // any argument of the statement could be it: a wrong guess would give another parameter's duration
        }

        try
        {
            IScriptExtent? statement = Runspace.DefaultRunspace?.Debugger.GetCallStack().FirstOrDefault()?.Position;
            if (string.IsNullOrEmpty(statement?.Text))
            {
                return null;
            }

            ScriptBlockAst script = Parser.ParseInput(statement.Text, out _, out _);
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (Ast found in script.FindAll(static a => a is CommandAst, searchNestedScriptBlocks: true))
            {
                var elements = ((CommandAst)found).CommandElements;
                for (int i = 1; i < elements.Count; i++)
                {
                    if (elements[i] is not CommandParameterAst parameter || parameter.ParameterName.Length == 0 ||
                        !parameterName.StartsWith(parameter.ParameterName, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    Ast? argument = parameter.Argument ?? (i + 1 < elements.Count && elements[i + 1] is not CommandParameterAst ? elements[i + 1] : null);
                    if (argument is ConstantExpressionAst { Value: { } constant })
                    {
                        if (constant.Equals(value))
                        {
                            written.Add(argument.Extent.Text);
                        }
                    }
                    else if (argument is not null)
                    {
                        return null; // a variable or an expression: it may be what was bound, and its text says nothing
                    }
                }
            }

            return written.Count == 1 ? written.First() : null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // no debugger or call stack to read here (a remote or hosted pipeline): the number is read as bound
        }
    }
}
