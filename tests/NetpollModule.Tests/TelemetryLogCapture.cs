using System.Text.RegularExpressions;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// Points engine-event logging at a string instead of the process console (the injectable writer of the
/// logging sink) and, when disposed, stops telemetry and points it back.
/// </summary>
internal sealed class TelemetryLogCapture : IDisposable
{
    private readonly StringWriter _text = new();
    private readonly TextWriter _writer;

    public TelemetryLogCapture()
    {
        _writer = TextWriter.Synchronized(_text);
        TelemetryOutput.LogWriter = _writer;
    }

    public string Text
    {
        get
        {
            lock (_writer) // the synchronized writer locks on itself while it writes
            {
                return _text.ToString().ReplaceLineEndings("\n");
            }
        }
    }

    /// <summary>Waits (bounded) for a line matching <paramref name="pattern"/> and returns it.</summary>
    public string WaitForLine(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        Match match = Match.Empty;
        Eventually.Until(() => (match = regex.Match(Text)).Success, $"a log line matches /{pattern}/", timeout, () => $"logged:\n{Text}");
        return match.Value;
    }

    public void Dispose()
    {
        ProcessTelemetry.Disable();
        TelemetryOutput.LogWriter = null;
    }
}
