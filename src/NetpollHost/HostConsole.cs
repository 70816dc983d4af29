using System.Management.Automation;
using System.Management.Automation.Host;

namespace Netpoll.Host;

/// <summary>
/// The process's standard streams as the host uses them. One lock orders every write, so a transient progress
/// line on a terminal is erased before any other text appears and lines from different threads never interleave.
/// </summary>
internal sealed class HostConsole
{
    /// <summary>Width used for formatting when stdout is not a terminal, so redirected output never depends on a window.</summary>
    public const int RedirectedWidth = 120;

    private readonly Lock _sync = new();
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly TextReader _input;
    private readonly bool _colorEnabled;
    private int _transientLineLength;

    public HostConsole(TextWriter output, TextWriter error, TextReader input, ConsoleTerminals terminals, bool colorEnabled)
    {
        _output = output;
        _error = error;
        _input = input;
        Terminals = terminals;
        _colorEnabled = colorEnabled;
    }

    public ConsoleTerminals Terminals { get; }

    /// <summary>The standard streams of this process; colour only on terminals and only when NO_COLOR is unset.</summary>
    public static HostConsole FromProcess()
    {
        var terminals = new ConsoleTerminals(
            Output: !Console.IsOutputRedirected,
            Error: !Console.IsErrorRedirected,
            Input: !Console.IsInputRedirected);
        bool noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        return new HostConsole(Console.Out, Console.Error, Console.In, terminals, colorEnabled: !noColor);
    }

    /// <summary>Columns available for formatted output: the terminal's width, or <see cref="RedirectedWidth"/>.</summary>
    public int Width => Terminals.Output ? TerminalColumns() : RedirectedWidth;

    public void Write(HostStream stream, string text, ConsoleColor? foreground = null, ConsoleColor? background = null)
    {
        lock (_sync)
        {
            EraseTransientLine();
            TextWriter writer = WriterFor(stream);
            writer.Write(Decorate(stream, text, foreground, background));
            writer.Flush();
        }
    }

    public void WriteLine(HostStream stream, string text, ConsoleColor? foreground = null, ConsoleColor? background = null)
    {
        lock (_sync)
        {
            EraseTransientLine();
            TextWriter writer = WriterFor(stream);
            writer.Write(Decorate(stream, text, foreground, background));
            writer.Write('\n');
            writer.Flush();
        }
    }

    /// <summary>
    /// Shows <paramref name="text"/> as the one status line at the bottom of the stderr terminal, replacing the
    /// previous one. Callers only use this when stderr is a terminal.
    /// </summary>
    public void ShowTransientLine(string text)
    {
        lock (_sync)
        {
            int columns = Math.Max(1, TerminalColumns() - 1);
            string shown = text.Length > columns ? text[..columns] : text;
            _error.Write('\r');
            _error.Write(shown);
            if (_transientLineLength > shown.Length)
            {
                _error.Write(new string(' ', _transientLineLength - shown.Length));
                _error.Write('\r');
                _error.Write(shown);
            }

            _error.Flush();
            _transientLineLength = shown.Length;
        }
    }

    public void ClearTransientLine()
    {
        lock (_sync)
        {
            EraseTransientLine();
        }
    }

    public string? ReadLine()
    {
        lock (_sync)
        {
            EraseTransientLine();
        }

        return _input.ReadLine();
    }

    public int Read() => _input.Read();

    private void EraseTransientLine()
    {
        if (_transientLineLength == 0)
        {
            return;
        }

        _error.Write('\r');
        _error.Write(new string(' ', _transientLineLength));
        _error.Write('\r');
        _error.Flush();
        _transientLineLength = 0;
    }

    // The formatter and $PSStyle put escape sequences into text; the engine's own helper drops them where they
    // would be noise (a pipe, a file, NO_COLOR) or where $PSStyle.OutputRendering is PlainText. A script that
    // sets OutputRendering to Ansi keeps them even when redirected, as under pwsh.
    private string Decorate(HostStream stream, string text, ConsoleColor? foreground, ConsoleColor? background)
    {
        bool colored = UsesColor(stream);
        bool keepEscapes = colored || PSStyle.Instance.OutputRendering == OutputRendering.Ansi;
        string rendered = PSHostUserInterface.GetOutputString(text, supportsVirtualTerminal: keepEscapes);
        return colored ? AnsiColor.Wrap(rendered, foreground, background) : rendered;
    }

    private TextWriter WriterFor(HostStream stream) => stream == HostStream.Output ? _output : _error;

    public bool UsesColor(HostStream stream) =>
        _colorEnabled && (stream == HostStream.Output ? Terminals.Output : Terminals.Error);

    private static int TerminalColumns()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : RedirectedWidth;
        }
        catch (IOException)
        {
            return RedirectedWidth;
        }
    }
}
