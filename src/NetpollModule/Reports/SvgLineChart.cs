using System.Globalization;
using System.Net;
using System.Text;

namespace Netpoll.PowerShell.Reports;

/// <summary>
/// A small self-contained SVG line chart: axes with ticks, one polyline per series, a legend. Every
/// chart of a report is drawn over the same x-range, and series differ in colour, width and dash, so
/// two series with equal values (an echo's in and out) both stay visible.
/// </summary>
internal static class SvgLineChart
{
    private const int Width = 640;
    private const int Height = 280;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 52;
    private const int Bottom = 40;
    private const int MarkedPoints = 60;
    private const int TickPlaces = 6; // the most places a tick label shows (a 0.05 ms axis's quarter, 0.0125, needs four)
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    // Wide and solid first, then narrower and dashed on top of it: overlapping lines show both.
    private static readonly (double Width, string Dash)[] Strokes = [(4.5, ""), (2, "7 4"), (2, "2 3"), (2, "10 3 2 3")];

    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    /// <param name="title">The chart's heading.</param>
    /// <param name="xRange">The x-range shared by every chart of the report, in seconds.</param>
    /// <param name="yLabel">The y axis with its unit.</param>
    /// <param name="series">The lines.</param>
    public static string Render(string title, (double Min, double Max) xRange, string yLabel, IReadOnlyList<Series> series)
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

        (double minX, double maxX) = xRange.Max > xRange.Min ? xRange : (xRange.Min, xRange.Min + 1);
        double maxY = all.Max(p => p.Y);
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
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{py + 4:0.#}\" text-anchor=\"end\" font-size=\"11\">{Tick(y)}</text>");
        }

        // Seconds on round ticks, the same on every chart because the range is.
        double step = NiceStep((maxX - minX) / 6);
        for (double x = Math.Ceiling(minX / step) * step; x <= maxX + (step / 1000); x += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Sx(x):0.#}\" y1=\"{Top + plotH}\" x2=\"{Sx(x):0.#}\" y2=\"{Top + plotH + 4}\" stroke=\"#999\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Sx(x):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\" font-size=\"11\">{Tick(x)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 6}\" text-anchor=\"middle\" font-size=\"12\">seconds</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + (plotH / 2)}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 {Top + (plotH / 2)})\">{E(yLabel)}</text>");
        double legendX = Left;
        for (int s = 0; s < series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            (double width, string dash) = Strokes[Math.Min(s, Strokes.Length - 1)];
            string style = string.Create(CultureInfo.InvariantCulture, $"fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}");
            string points = string.Join(' ', series[s].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => string.Create(CultureInfo.InvariantCulture, $"{Sx(p.X):0.#},{Sy(p.Y):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline {style} points=\"{points}\"><title>{E(series[s].Name)}</title></polyline>");

            // Sparse series get a dot per sample, so the spacing of the samples shows.
            if (series[s].Points.Count <= MarkedPoints)
            {
                foreach ((double x, double y) in series[s].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)))
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Sx(x):0.#}\" cy=\"{Sy(y):0.#}\" r=\"{(s == 0 ? 3.5 : 2.5)}\" fill=\"{color}\"/>");
                }
            }

            // The legend sits above the plot, each entry drawn with its own stroke.
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{legendX:0.#}\" y1=\"36\" x2=\"{legendX + 24:0.#}\" y2=\"36\" {style}/><text x=\"{legendX + 30:0.#}\" y=\"40\" font-size=\"11\">{E(series[s].Name)}</text>");
            legendX += 44 + (series[s].Name.Length * 6.2);
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The round step (1, 2, 2.5 or 5 times a power of ten) at or above <paramref name="rough"/>.</summary>
    private static double NiceStep(double rough)
    {
        if (rough <= 0 || !double.IsFinite(rough))
        {
            return 1;
        }

        return NiceCeiling(rough);
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

    /// <summary>
    /// An axis tick's label (k, M or G above a thousand) with the places it needs to read its own value: ticks are quarters
    /// of a round maximum or steps of 2.5 times a power of ten, so 1,250 is "1.25k" and 0.075 s "0.075" (a fixed "0.#" and
    /// "0.##" showed "1.3k" and "0.08", uneven labels on even lines). Beyond <see cref="TickPlaces"/> it rounds as every
    /// shown number in the module does: the double itself ("F"), not a 15-digit decimal of it.
    /// </summary>
    private static string Tick(double v)
    {
        (double scaled, string suffix) = Math.Abs(v) switch
        {
            >= 1e9 => (v / 1e9, "G"),
            >= 1e6 => (v / 1e6, "M"),
            >= 1e3 => (v / 1e3, "k"),
            _ => (v, ""),
        };
        int places = 0;
        while (places < TickPlaces && !IsWhole(scaled * Math.Pow(10, places)))
        {
            places++;
        }

        string text = scaled.ToString("F" + places.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return (text.TrimStart('-').Trim('0', '.').Length == 0 ? "0" : text) + suffix;
    }

    /// <summary>Whole but for the float noise of the tick arithmetic (0.1 * 3 is 0.30000000000000004).</summary>
    private static bool IsWhole(double value) => Math.Abs(value - Math.Round(value)) <= 1e-9 * Math.Max(1, Math.Abs(value));

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
