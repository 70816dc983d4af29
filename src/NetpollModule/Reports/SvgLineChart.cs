using System.Globalization;
using System.Net;
using System.Text;

namespace Netpoll.PowerShell.Reports;

/// <summary>A small self-contained SVG line chart: axes with ticks, one polyline per series, a legend.</summary>
internal static class SvgLineChart
{
    private const int Width = 640;
    private const int Height = 260;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 30;
    private const int Bottom = 40;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{E(title)}</text>");
        List<(double X, double Y)> all = [.. series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))];
        if (all.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" fill=\"#888\">no data</text></svg>");
            return svg.ToString();
        }

        double minX = all.Min(p => p.X), maxX = all.Max(p => p.X);
        double maxY = all.Max(p => p.Y);
        if (maxX <= minX)
        {
            maxX = minX + 1;
        }

        maxY = maxY <= 0 ? 1 : NiceCeiling(maxY);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Sx(double x) => Left + ((x - minX) / (maxX - minX) * plotW);
        double Sy(double y) => Top + plotH - (y / maxY * plotH);

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#ccc\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double y = maxY * i / 4;
            double py = Sy(y);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{py:0.#}\" x2=\"{Left + plotW}\" y2=\"{py:0.#}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\" font-size=\"11\">{Short(y)}</text>");
            double x = minX + ((maxX - minX) * i / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Sx(x):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\" font-size=\"11\">{Short(x)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 6}\" text-anchor=\"middle\" font-size=\"12\">{E(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 {Top + (plotH / 2)})\">{E(yLabel)}</text>");
        for (int s = 0; s < series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            string points = string.Join(' ', series[s].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => string.Create(CultureInfo.InvariantCulture, $"{Sx(p.X):0.#},{Sy(p.Y):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"><title>{E(series[s].Name)}</title></polyline>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + 8 + (s * 150)}\" y=\"{Top + 6}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{Left + 22 + (s * 150)}\" y=\"{Top + 15}\" font-size=\"11\">{E(series[s].Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static double NiceCeiling(double value)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Short(double v) => Math.Abs(v) switch
    {
        >= 1e9 => (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
