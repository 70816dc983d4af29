using System.Management.Automation;

namespace Netpoll.Host.Tests.Units;

public class ProgressRendererTests
{
    [Fact]
    public void A_record_is_described_on_one_line_with_the_parts_it_has()
    {
        var record = new ProgressRecord(1, "Dialing", "42 of 100")
        {
            PercentComplete = 42,
            CurrentOperation = "127.0.0.1:9000",
            SecondsRemaining = 7,
        };

        Assert.Equal("Dialing: 42 of 100 42% (127.0.0.1:9000), 7s left", ProgressRenderer.Describe(record));
        Assert.Equal("Dialing: starting", ProgressRenderer.Describe(new ProgressRecord(1, "Dialing", "starting")));
    }

    [Fact]
    public void A_redirected_stderr_gets_one_line_per_change_and_a_completion_line()
    {
        (ProgressRenderer renderer, StringWriter stderr) = Create(stderrIsTerminal: false);

        renderer.Render(0, Progress(1, "Load", "a"));
        renderer.Render(0, Progress(1, "Load", "a"));
        renderer.Render(0, Progress(1, "Load", "b"));
        renderer.Render(0, Completed(1, "Load"));

        Assert.Equal("Load: a\nLoad: b\nLoad: completed\n", stderr.ToString());
    }

    [Fact]
    public void A_completion_for_an_activity_never_shown_prints_nothing()
    {
        (ProgressRenderer renderer, StringWriter stderr) = Create(stderrIsTerminal: false);

        renderer.Render(0, Completed(9, "Never started"));

        Assert.Empty(stderr.ToString());
    }

    [Fact]
    public void A_terminal_stderr_gets_one_line_rewritten_in_place_and_erased_when_done()
    {
        (ProgressRenderer renderer, StringWriter stderr) = Create(stderrIsTerminal: true);

        renderer.Render(0, Progress(1, "Load", "long status"));
        renderer.Render(0, Progress(1, "Load", "short"));
        renderer.Render(0, Completed(1, "Load"));

        string shortened = "\r" + "Load: short" + new string(' ', "Load: long status".Length - "Load: short".Length) + "\rLoad: short";
        string erased = "\r" + new string(' ', "Load: short".Length) + "\r";
        Assert.Equal("\rLoad: long status" + shortened + erased, stderr.ToString());
        Assert.DoesNotContain('\n', stderr.ToString());
    }

    private static (ProgressRenderer, StringWriter) Create(bool stderrIsTerminal)
    {
        var stderr = new StringWriter();
        var console = new HostConsole(new StringWriter(), stderr, new StringReader(string.Empty), new ConsoleTerminals(false, stderrIsTerminal, false), colorEnabled: false);
        return (new ProgressRenderer(console), stderr);
    }

    private static ProgressRecord Progress(int activityId, string activity, string status) => new(activityId, activity, status);

    private static ProgressRecord Completed(int activityId, string activity) =>
        new(activityId, activity, "done") { RecordType = ProgressRecordType.Completed };
}
