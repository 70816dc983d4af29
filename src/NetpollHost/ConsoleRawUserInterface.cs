using System.Management.Automation.Host;

namespace Netpoll.Host;

/// <summary>
/// The low-level console the engine sees through <c>$Host.UI.RawUI</c>. The host writes to streams, not to a
/// screen buffer, so buffer-cell operations are refused; sizes come from the terminal, or from
/// <see cref="HostConsole.RedirectedWidth"/> when stdout is redirected. Setting <see cref="BufferSize"/> changes the
/// width the formatter uses, which scripts rely on to widen tables in CI logs.
/// </summary>
internal sealed class ConsoleRawUserInterface : PSHostRawUserInterface
{
    private const int RedirectedHeight = 50;

    private readonly HostConsole _console;
    private Size? _bufferSizeOverride;
    private string _windowTitle = string.Empty;
    private int _cursorSize = 25;

    public ConsoleRawUserInterface(HostConsole console)
    {
        _console = console;
    }

    /// <summary>The colours text has when nothing asks for another; used to decide when to emit colour codes.</summary>
    public const ConsoleColor DefaultForegroundColor = ConsoleColor.Gray;

    public const ConsoleColor DefaultBackgroundColor = ConsoleColor.Black;

    public override ConsoleColor ForegroundColor { get; set; } = DefaultForegroundColor;

    public override ConsoleColor BackgroundColor { get; set; } = DefaultBackgroundColor;

    public override Size BufferSize
    {
        get => _bufferSizeOverride ?? new Size(_console.Width, WindowHeight());
        set
        {
            if (value.Width <= 0 || value.Height <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "Buffer width and height must be positive.");
            }

            _bufferSizeOverride = value;
        }
    }

    public override Coordinates CursorPosition
    {
        get
        {
            if (!_console.Terminals.Output || !_console.Terminals.Input)
            {
                return new Coordinates(0, 0);
            }

            (int left, int top) = Console.GetCursorPosition();
            return new Coordinates(left, top);
        }

        set
        {
            if (!_console.Terminals.Output)
            {
                throw new NotSupportedException("The cursor cannot be moved: stdout is not a terminal.");
            }

            Console.SetCursorPosition(value.X, value.Y);
        }
    }

    public override int CursorSize
    {
        get => _cursorSize;
        set => _cursorSize = Math.Clamp(value, 1, 100);
    }

    public override bool KeyAvailable => _console.Terminals.Input && Console.KeyAvailable;

    public override Size MaxPhysicalWindowSize => WindowSize;

    public override Size MaxWindowSize => WindowSize;

    public override Coordinates WindowPosition
    {
        get => new(0, 0);
        set => throw new NotSupportedException("This host cannot move the terminal window.");
    }

    public override Size WindowSize
    {
        get => new(_console.Width, WindowHeight());
        set => throw new NotSupportedException("This host cannot resize the terminal window.");
    }

    public override string WindowTitle
    {
        get => _windowTitle;
        set
        {
            _windowTitle = value ?? string.Empty;
            if (_console.Terminals.Output)
            {
                // OSC 0 sets the terminal's title; a pipe has no title, so only the stored value changes there.
                _console.Write(HostStream.Output, $"\u001b]0;{_windowTitle}\u0007");
            }
        }
    }

    public override void FlushInputBuffer()
    {
        if (!_console.Terminals.Input)
        {
            return; // Redirected input is data for the script, never stray keystrokes to discard.
        }

        while (Console.KeyAvailable)
        {
            Console.ReadKey(intercept: true);
        }
    }

    public override KeyInfo ReadKey(ReadKeyOptions options)
    {
        if (_console.Terminals.Input)
        {
            bool echo = (options & ReadKeyOptions.NoEcho) == 0;
            ConsoleKeyInfo key = Console.ReadKey(intercept: !echo);
            return new KeyInfo((int)key.Key, key.KeyChar, ControlKeyStateOf(key.Modifiers), keyDown: true);
        }

        int next = _console.Read();
        if (next < 0)
        {
            throw new PromptingException("Cannot read a key: standard input has ended.");
        }

        return new KeyInfo(0, (char)next, 0, keyDown: true);
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new NotSupportedException("This host writes to streams and keeps no screen buffer to read back.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
        throw new NotSupportedException("This host writes to streams and keeps no screen buffer to scroll.");

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) =>
        throw new NotSupportedException("This host writes to streams and keeps no screen buffer to draw into.");

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) =>
        throw new NotSupportedException("This host writes to streams and keeps no screen buffer to fill.");

    private int WindowHeight()
    {
        if (!_console.Terminals.Output)
        {
            return RedirectedHeight;
        }

        try
        {
            int height = Console.WindowHeight;
            return height > 0 ? height : RedirectedHeight;
        }
        catch (IOException)
        {
            return RedirectedHeight;
        }
    }

    private static ControlKeyStates ControlKeyStateOf(ConsoleModifiers modifiers)
    {
        ControlKeyStates state = 0;
        if ((modifiers & ConsoleModifiers.Shift) != 0)
        {
            state |= ControlKeyStates.ShiftPressed;
        }

        if ((modifiers & ConsoleModifiers.Control) != 0)
        {
            state |= ControlKeyStates.LeftCtrlPressed;
        }

        if ((modifiers & ConsoleModifiers.Alt) != 0)
        {
            state |= ControlKeyStates.LeftAltPressed;
        }

        return state;
    }
}
