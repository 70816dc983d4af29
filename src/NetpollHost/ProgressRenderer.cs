using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace Netpoll.Host;

/// <summary>
/// Shows <see cref="ProgressRecord"/>s on stderr: as one line rewritten in place when stderr is a terminal, or as a
/// plain line per change when it is a pipe or file (so logs stay readable and nothing relies on carriage returns).
/// </summary>
internal sealed class ProgressRenderer
{
    private readonly HostConsole _console;
    private readonly Lock _sync = new();

    // Activities still running, most recently updated last; the terminal line shows the last one.
    private readonly List<(long SourceId, int ActivityId, string Text)> _active = [];
    private readonly Dictionary<(long, int), string> _lastPlainLine = [];

    public ProgressRenderer(HostConsole console)
    {
        _console = console;
    }

    public void Render(long sourceId, ProgressRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_sync)
        {
            if (_console.Terminals.Error)
            {
                RenderOnTerminal(sourceId, record);
            }
            else
            {
                RenderAsPlainLine(sourceId, record);
            }
        }
    }

    /// <summary>Formats one record as a single line of text, e.g. "Loading: 3 of 10 30% (connecting)".</summary>
    public static string Describe(ProgressRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder(record.Activity);
        if (record.RecordType == ProgressRecordType.Completed)
        {
            return text.Append(": completed").ToString();
        }

        if (!string.IsNullOrEmpty(record.StatusDescription))
        {
            text.Append(": ").Append(record.StatusDescription);
        }

        if (record.PercentComplete >= 0)
        {
            text.Append(' ').Append(record.PercentComplete.ToString(CultureInfo.InvariantCulture)).Append('%');
        }

        if (!string.IsNullOrEmpty(record.CurrentOperation))
        {
            text.Append(" (").Append(record.CurrentOperation).Append(')');
        }

        if (record.SecondsRemaining >= 0)
        {
            text.Append(", ").Append(record.SecondsRemaining.ToString(CultureInfo.InvariantCulture)).Append("s left");
        }

        return text.ToString();
    }

    private void RenderOnTerminal(long sourceId, ProgressRecord record)
    {
        _active.RemoveAll(a => a.SourceId == sourceId && a.ActivityId == record.ActivityId);
        if (record.RecordType != ProgressRecordType.Completed)
        {
            _active.Add((sourceId, record.ActivityId, Describe(record)));
        }

        if (_active.Count == 0)
        {
            _console.ClearTransientLine();
        }
        else
        {
            _console.ShowTransientLine(_active[^1].Text);
        }
    }

    private void RenderAsPlainLine(long sourceId, ProgressRecord record)
    {
        var key = (sourceId, record.ActivityId);
        string line = Describe(record);
        if (_lastPlainLine.TryGetValue(key, out string? previous) && previous == line)
        {
            return;
        }

        if (record.RecordType == ProgressRecordType.Completed)
        {
            // A completion for an activity never shown is noise (Write-Progress -Completed at script start).
            if (!_lastPlainLine.Remove(key))
            {
                return;
            }
        }
        else
        {
            _lastPlainLine[key] = line;
        }

        _console.WriteLine(HostStream.Error, line);
    }
}
