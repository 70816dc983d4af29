namespace Netpoll.Host;

/// <summary>
/// Wraps text in ANSI SGR colour sequences. The host writes through plain <see cref="TextWriter"/>s, so it cannot
/// use <see cref="Console.ForegroundColor"/> (which always targets stdout, even for text written to stderr).
/// </summary>
internal static class AnsiColor
{
    private const string Reset = "\u001b[0m";

    public static string Wrap(string text, ConsoleColor? foreground, ConsoleColor? background)
    {
        if (text.Length == 0 || (foreground is null && background is null))
        {
            return text;
        }

        string codes = (foreground, background) switch
        {
            ({ } fg, { } bg) => $"{ForegroundCode(fg)};{ForegroundCode(bg) + 10}",
            ({ } fg, null) => ForegroundCode(fg).ToString(System.Globalization.CultureInfo.InvariantCulture),
            (null, { } bg) => (ForegroundCode(bg) + 10).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => string.Empty,
        };
        return $"\u001b[{codes}m{text}{Reset}";
    }

    private static int ForegroundCode(ConsoleColor color) => color switch
    {
        ConsoleColor.Black => 30,
        ConsoleColor.DarkRed => 31,
        ConsoleColor.DarkGreen => 32,
        ConsoleColor.DarkYellow => 33,
        ConsoleColor.DarkBlue => 34,
        ConsoleColor.DarkMagenta => 35,
        ConsoleColor.DarkCyan => 36,
        ConsoleColor.Gray => 37,
        ConsoleColor.DarkGray => 90,
        ConsoleColor.Red => 91,
        ConsoleColor.Green => 92,
        ConsoleColor.Yellow => 93,
        ConsoleColor.Blue => 94,
        ConsoleColor.Magenta => 95,
        ConsoleColor.Cyan => 96,
        _ => 97,
    };
}
