using System.Management.Automation;
using System.Text;

namespace Netpoll.Host;

/// <summary>
/// Renders an <see cref="ErrorRecord"/> as text in the layout of PowerShell's NormalView: the message (with the
/// command's name when a command wrote it), the script position, then the category and the error id.
/// The host renders errors itself rather than through Out-Default's ConciseView, which shows neither.
/// </summary>
internal static class ErrorRecordText
{
    public static string Format(ErrorRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder();

        string message = MessageOf(record);
        string? commandName = record.InvocationInfo?.MyCommand?.Name;
        text.Append(string.IsNullOrEmpty(commandName) ? message : $"{commandName} : {message}");

        string position = PositionOf(record);
        if (position.Length > 0)
        {
            text.Append('\n').Append(position);
        }

        text.Append("\n    + CategoryInfo          : ").Append(record.CategoryInfo.GetMessage());
        text.Append("\n    + FullyQualifiedErrorId : ").Append(record.FullyQualifiedErrorId);
        return text.ToString();
    }

    /// <summary>Text for a failure that carries no error record (the host's own errors).</summary>
    public static string Format(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is IContainsErrorRecord withRecord && withRecord.ErrorRecord is { } record
            ? Format(record)
            : $"{exception.Message}\n    + FullyQualifiedErrorId : {exception.GetType().Name}";
    }

    private static string MessageOf(ErrorRecord record)
    {
        if (!string.IsNullOrEmpty(record.ErrorDetails?.Message))
        {
            return record.ErrorDetails.Message;
        }

        return record.Exception?.Message ?? record.ToString();
    }

    private static string PositionOf(ErrorRecord record)
    {
        // Parse errors carry their positions in the exception, not in an invocation.
        if (record.Exception is ParseException parse && parse.Errors is { Length: > 0 } errors)
        {
            return string.Join('\n', errors.Select(e => $"At {e.Extent.File ?? "line"}:{e.Extent.StartLineNumber} char:{e.Extent.StartColumnNumber}\n+ {e.Extent.StartScriptPosition.Line.TrimEnd()}"));
        }

        return record.InvocationInfo?.PositionMessage?.TrimEnd() ?? string.Empty;
    }
}
