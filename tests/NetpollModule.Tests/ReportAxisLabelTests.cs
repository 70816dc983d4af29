using System.Text.RegularExpressions;
using Netpoll.PowerShell.Reports;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// A report chart's y axis is cut in quarters of a round maximum, so its ticks need more places than "0.##" gave them:
/// a quarter of 2.5k read "1.3k" and "1.9k" for 1,250 and 1,875, and of a 0.05 ms latency axis "0.01", "0.03" and
/// "0.04" — labels unevenly spaced on evenly spaced lines, rounded the way nothing else in the module rounds.
/// </summary>
public partial class ReportAxisLabelTests
{
    [Theory]
    [InlineData(2400, "0|625|1.25k|1.875k|2.5k")]
    [InlineData(0.04, "0|0.0125|0.025|0.0375|0.05")]
    [InlineData(0.9, "0|0.25|0.5|0.75|1")]
    [InlineData(23_000_000, "0|6.25M|12.5M|18.75M|25M")]
    public void Each_y_tick_reads_the_value_of_its_line(double highest, string labels)
    {
        string svg = SvgLineChart.Render("chart", (0, 10), "unit", [new SvgLineChart.Series("s", [(0, 0), (5, highest)])]);
        string[] ticks = [.. YTick().Matches(svg).Select(m => m.Groups[1].Value)];
        Assert.Equal(labels, string.Join('|', ticks));
    }

    [Fact]
    public void X_ticks_of_fractional_seconds_read_their_values()
    {
        string svg = SvgLineChart.Render("chart", (0, 0.15), "unit", [new SvgLineChart.Series("s", [(0, 1), (0.15, 2)])]);
        string[] ticks = [.. XTick().Matches(svg).Select(m => m.Groups[1].Value)];
        Assert.Equal("0|0.025|0.05|0.075|0.1|0.125|0.15", string.Join('|', ticks)); // "0.08" and "0.13" before
    }

    [GeneratedRegex("""<text x="\d+" y="[\d.]+" text-anchor="end" font-size="11">([^<]+)</text>""")]
    private static partial Regex YTick();

    [GeneratedRegex("""<text x="[\d.]+" y="\d+" text-anchor="middle" font-size="11">([^<]+)</text>""")]
    private static partial Regex XTick();
}
