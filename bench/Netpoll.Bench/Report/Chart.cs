using System.Globalization;
using System.Text;

namespace Netpoll.Bench;

/// <summary>A self-contained SVG (no scripts, no fetches): echo 1 KiB against connection count, two panels.</summary>
internal static class Chart
{
    private static readonly (string Server, string Label, string Color)[] Series =
    [
        ("c-epoll", "C epoll (floor)", "#444444"),
        ("c-uring", "C io_uring (floor)", "#9467bd"),
        ("netpoll", "Netpoll, ThreadPool", "#1f77b4"),
        ("netpoll-inline", "Netpoll, Inline", "#2ca02c"),
        ("netpoll-uring-inline", "Netpoll io_uring, Inline", "#17becf"),
        ("sockets", "System.Net.Sockets", "#d62728"),
        ("sockets-inline", "Sockets, inline completions", "#ff7f0e"),
    ];

    private const int PanelWidth = 420;
    private const int PanelHeight = 260;
    private const int Left = 70;
    private const int Top = 56;
    private const int Gap = 90;

    public static string EchoVsConnections(List<Aggregate> all)
    {
        List<Aggregate> echo = [.. all.Where(a => a.First.Group == "echo" && a.First.Size == 1024)];
        int[] conns = [.. echo.Select(a => a.First.Connections).Distinct().Order()];
        int width = Left + 2 * PanelWidth + Gap + 30;
        int height = Top + PanelHeight + 110;
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">Echo ping-pong, 1 KiB messages: medians against connection count</text>");
        Panel(svg, echo, conns, Left, "round trips per second", a => a.Rps.Median);
        Panel(svg, echo, conns, Left + PanelWidth + Gap, "round trips per server CPU-second", a => a.RtPerCpu.Median);
        int y = Top + PanelHeight + 60;
        int x = Left;
        foreach ((string _, string label, string color) in Series)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 24}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"3\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x + 30}\" y=\"{y + 4}\">{label}</text>");
            x += 40 + label.Length * 7;
            if (x > width - 160)
            {
                x = Left;
                y += 20;
            }
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, List<Aggregate> echo, int[] conns, int x0, string title, Func<Aggregate, double> value)
    {
        double max = echo.Count == 0 ? 1 : echo.Max(value);
        double step = NiceStep(max / 5);
        double top = Math.Ceiling(max / step) * step;
        int y0 = Top + PanelHeight;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 + PanelWidth / 2}\" y=\"{Top - 14}\" text-anchor=\"middle\">{title}</text>");
        for (double v = 0; v <= top + step / 2; v += step)
        {
            double y = y0 - v / top * PanelHeight;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" y1=\"{y:0.0}\" x2=\"{x0 + PanelWidth}\" y2=\"{y:0.0}\" stroke=\"#e0e0e0\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{y + 4:0.0}\" text-anchor=\"end\">{Short(v)}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0 + PanelWidth}\" y2=\"{y0}\" stroke=\"black\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" y1=\"{Top}\" x2=\"{x0}\" y2=\"{y0}\" stroke=\"black\"/>");
        double X(int i) => x0 + (conns.Length == 1 ? PanelWidth / 2.0 : 30 + i * (PanelWidth - 60.0) / (conns.Length - 1));
        for (int i = 0; i < conns.Length; i++)
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(i):0.0}\" y=\"{y0 + 18}\" text-anchor=\"middle\">{conns[i]:#,0}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 + PanelWidth / 2}\" y=\"{y0 + 36}\" text-anchor=\"middle\">connections</text>");
        foreach ((string server, string _, string color) in Series)
        {
            var points = new List<string>();
            for (int i = 0; i < conns.Length; i++)
            {
                Aggregate? a = echo.FirstOrDefault(e => e.First.Server == server && e.First.Connections == conns[i]);
                if (a is null)
                {
                    continue;
                }

                double y = y0 - value(a) / top * PanelHeight;
                points.Add(string.Create(CultureInfo.InvariantCulture, $"{X(i):0.0},{y:0.0}"));
                svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{X(i):0.0}\" cy=\"{y:0.0}\" r=\"3.5\" fill=\"{color}\"/>");
            }

            if (points.Count > 1)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>");
            }
        }
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / magnitude;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    }

    private static string Short(double v) => v >= 1000 ? (v / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k" : v.ToString("0", CultureInfo.InvariantCulture);
}
