using System.Management.Automation;

namespace Netpoll.Host.Tests.Units;

public class ErrorRecordTextTests
{
    [Fact]
    public void A_record_shows_its_message_category_target_and_error_id()
    {
        var record = new ErrorRecord(new InvalidOperationException("port is in use"), "Netpoll.PortInUse", ErrorCategory.ResourceUnavailable, "127.0.0.1:80");

        string[] lines = ErrorRecordText.Format(record).Split('\n');

        Assert.Equal("port is in use", lines[0]);
        Assert.Equal("    + CategoryInfo          : ResourceUnavailable: (127.0.0.1:80:String) [], InvalidOperationException", lines[1]);
        Assert.Equal("    + FullyQualifiedErrorId : Netpoll.PortInUse", lines[2]);
    }

    [Fact]
    public void Error_details_replace_the_exception_message()
    {
        var record = new ErrorRecord(new IOException("raw"), "Id", ErrorCategory.WriteError, null)
        {
            ErrorDetails = new ErrorDetails("friendlier text"),
        };

        Assert.StartsWith("friendlier text\n", ErrorRecordText.Format(record), StringComparison.Ordinal);
    }

    [Fact]
    public void A_parse_error_shows_where_the_text_is_wrong()
    {
        ParseException parse = Assert.Throws<ParseException>(() => ScriptBlock.Create("1 +"));

        string text = ErrorRecordText.Format(parse);

        Assert.Contains("At line:1 char:4", text, StringComparison.Ordinal);
        Assert.Contains("+ 1 +", text, StringComparison.Ordinal);
        Assert.Contains("FullyQualifiedErrorId : ExpectedValueExpression", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_exception_without_a_record_shows_its_type_as_the_id()
    {
        Assert.Equal("gone\n    + FullyQualifiedErrorId : FileNotFoundException", ErrorRecordText.Format(new FileNotFoundException("gone")));
    }
}
