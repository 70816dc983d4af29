using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace Netpoll.Host;

/// <summary>
/// What <c>$Host.UI</c>, Write-Host-style information, warnings, errors, progress and prompts go through.
/// Data (pipeline output, information) goes to stdout; everything about the run (errors, warnings, verbose,
/// debug, progress, prompts) goes to stderr, so stdout stays parseable.
/// </summary>
internal sealed class ConsoleUserInterface : PSHostUserInterface
{
    private const ConsoleColor NoticeColor = ConsoleColor.Yellow;
    private const ConsoleColor ErrorColor = ConsoleColor.Red;

    private readonly HostConsole _console;
    private readonly ConsoleRawUserInterface _rawUI;
    private readonly ProgressRenderer _progress;
    private readonly bool _nonInteractive;

    public ConsoleUserInterface(HostConsole console, bool nonInteractive)
    {
        _console = console;
        _rawUI = new ConsoleRawUserInterface(console);
        _progress = new ProgressRenderer(console);
        _nonInteractive = nonInteractive;
    }

    public override PSHostRawUserInterface RawUI => _rawUI;

    /// <summary>Lets the formatter use $PSStyle colours, but only where a person will see them.</summary>
    public override bool SupportsVirtualTerminal => _console.UsesColor(HostStream.Output);

    public override void Write(string value) => _console.Write(HostStream.Output, value ?? string.Empty);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        _console.Write(HostStream.Output, value ?? string.Empty, ColorOrNone(foregroundColor, _rawUI.ForegroundColor), ColorOrNone(backgroundColor, _rawUI.BackgroundColor));

    public override void WriteLine(string value) => _console.WriteLine(HostStream.Output, value ?? string.Empty);

    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        _console.WriteLine(HostStream.Output, value ?? string.Empty, ColorOrNone(foregroundColor, _rawUI.ForegroundColor), ColorOrNone(backgroundColor, _rawUI.BackgroundColor));

    public override void WriteErrorLine(string value) => _console.WriteLine(HostStream.Error, value ?? string.Empty, ErrorColor);

    public override void WriteWarningLine(string message) => _console.WriteLine(HostStream.Error, "WARNING: " + message, NoticeColor);

    public override void WriteVerboseLine(string message) => _console.WriteLine(HostStream.Error, "VERBOSE: " + message, NoticeColor);

    public override void WriteDebugLine(string message) => _console.WriteLine(HostStream.Error, "DEBUG: " + message, NoticeColor);

    public override void WriteProgress(long sourceId, ProgressRecord record) => _progress.Render(sourceId, record);

    // Null at the end of stdin, so a script can read piped input with `while ($null -ne ($line = $Host.UI.ReadLine()))`.
    public override string? ReadLine()
    {
        ThrowIfNonInteractive();
        return _console.ReadLine();
    }

    public override SecureString ReadLineAsSecureString()
    {
        ThrowIfNonInteractive();
        var secret = new SecureString();
        if (_console.Terminals.Input)
        {
            ReadSecretFromKeyboard(secret);
        }
        else
        {
            foreach (char c in ReadRequiredLine())
            {
                secret.AppendChar(c);
            }
        }

        secret.MakeReadOnly();
        return secret;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        ArgumentNullException.ThrowIfNull(descriptions);
        ThrowIfNonInteractive();
        WritePromptHeader(caption, message);

        var answers = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
        foreach (FieldDescription field in descriptions)
        {
            answers[field.Name] = PromptForField(field);
        }

        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        ArgumentNullException.ThrowIfNull(choices);
        ThrowIfNonInteractive();
        WritePromptHeader(caption, message);

        var menu = new StringBuilder();
        for (int i = 0; i < choices.Count; i++)
        {
            menu.Append('[').Append(HotKeyOf(choices[i].Label)).Append("] ").Append(LabelWithoutHotKeyMarker(choices[i].Label)).Append("  ");
        }

        menu.Append("[?] Help");
        if (defaultChoice >= 0 && defaultChoice < choices.Count)
        {
            menu.Append(" (default is \"").Append(HotKeyOf(choices[defaultChoice].Label)).Append("\")");
        }

        menu.Append(": ");

        while (true)
        {
            _console.Write(HostStream.Error, menu.ToString());
            string answer = ReadRequiredLine().Trim();
            if (answer.Length == 0 && defaultChoice >= 0 && defaultChoice < choices.Count)
            {
                return defaultChoice;
            }

            if (answer == "?")
            {
                foreach (ChoiceDescription choice in choices)
                {
                    _console.WriteLine(HostStream.Error, $"{HotKeyOf(choice.Label)} - {choice.HelpMessage}");
                }

                continue;
            }

            for (int i = 0; i < choices.Count; i++)
            {
                if (string.Equals(answer, HotKeyOf(choices[i].Label), StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(answer, LabelWithoutHotKeyMarker(choices[i].Label), StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(
        string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        ThrowIfNonInteractive();
        WritePromptHeader(caption, message);
        if (string.IsNullOrEmpty(userName))
        {
            _console.Write(HostStream.Error, "User: ");
            userName = ReadRequiredLine();
        }

        _console.Write(HostStream.Error, $"Password for user {userName}: ");
        SecureString password = ReadLineAsSecureString();
        return new PSCredential(userName, password);
    }

    private PSObject PromptForField(FieldDescription field)
    {
        string label = LabelWithoutHotKeyMarker(string.IsNullOrEmpty(field.Label) ? field.Name : field.Label);
        string typeName = field.ParameterTypeFullName ?? string.Empty;

        if (typeName == typeof(SecureString).FullName)
        {
            _console.Write(HostStream.Error, label + ": ");
            return PSObject.AsPSObject(ReadLineAsSecureString());
        }

        if (typeName == typeof(PSCredential).FullName)
        {
            return PSObject.AsPSObject(PromptForCredential(string.Empty, string.Empty, string.Empty, string.Empty));
        }

        if (typeName.EndsWith("[]", StringComparison.Ordinal))
        {
            // Like pwsh: one element per line, an empty line ends the array; the binder converts the strings.
            var items = new List<string>();
            while (true)
            {
                string item = ReadFieldLine(field, $"{label}[{items.Count.ToString(CultureInfo.InvariantCulture)}]");
                if (item.Length == 0)
                {
                    return PSObject.AsPSObject(items.ToArray());
                }

                items.Add(item);
            }
        }

        return PSObject.AsPSObject(ReadFieldLine(field, label));
    }

    // "!?" shows the field's help message, as in pwsh's mandatory-parameter prompt.
    private string ReadFieldLine(FieldDescription field, string label)
    {
        while (true)
        {
            _console.Write(HostStream.Error, label + ": ");
            string line = ReadRequiredLine();
            if (line == "!?" && !string.IsNullOrEmpty(field.HelpMessage))
            {
                _console.WriteLine(HostStream.Error, field.HelpMessage);
                continue;
            }

            return line;
        }
    }

    private void ReadSecretFromKeyboard(SecureString secret)
    {
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                _console.WriteLine(HostStream.Error, string.Empty);
                return;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.RemoveAt(secret.Length - 1);
                    _console.Write(HostStream.Error, "\b \b");
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar))
            {
                secret.AppendChar(key.KeyChar);
                _console.Write(HostStream.Error, "*");
            }
        }
    }

    // A prompt that meets the end of stdin must fail, or choice prompts would loop forever. The newline ends
    // the unanswered prompt so the error that follows starts on its own line.
    private string ReadRequiredLine()
    {
        string? line = _console.ReadLine();
        if (line is null)
        {
            _console.WriteLine(HostStream.Error, string.Empty);
            throw new PromptingException("Cannot prompt for input: standard input has ended.");
        }

        return line;
    }

    private void WritePromptHeader(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            _console.WriteLine(HostStream.Error, caption);
        }

        if (!string.IsNullOrEmpty(message))
        {
            _console.WriteLine(HostStream.Error, message);
        }
    }

    private void ThrowIfNonInteractive()
    {
        if (_nonInteractive)
        {
            throw new PSInvalidOperationException("The host is in NonInteractive mode: reading input and prompting are not available.");
        }
    }

    private static ConsoleColor? ColorOrNone(ConsoleColor requested, ConsoleColor current) =>
        requested == current ? null : requested;

    private static string HotKeyOf(string label)
    {
        int marker = label.IndexOf('&', StringComparison.Ordinal);
        string key = marker >= 0 && marker + 1 < label.Length ? label[marker + 1].ToString() : (label.Length > 0 ? label[0].ToString() : "?");
        return key.ToUpperInvariant();
    }

    private static string LabelWithoutHotKeyMarker(string label) => label.Replace("&", string.Empty, StringComparison.Ordinal);
}
