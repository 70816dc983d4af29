using System.Globalization;

namespace Netpoll.Bench;

internal static class Format
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Count(double v) => double.IsNaN(v) ? "–" : v.ToString("#,0", C);

    public static string Ratio(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "–" : v.ToString("0.00", C) + "×";

    public static string Fixed(double v, int decimals) => double.IsNaN(v) ? "–" : v.ToString("F" + decimals.ToString(C), C);

    /// <summary>Microseconds shown as milliseconds.</summary>
    public static string Ms(double us) => double.IsNaN(us) ? "–" : (us / 1000).ToString(us < 10_000 ? "0.000" : "0.0", C);

    public static string Bytes(double b) => double.IsNaN(b) ? "–" : Math.Abs(b) >= 10 * 1024 ? (b / 1024).ToString("#,0.0", C) + " KiB" : b.ToString("#,0", C) + " B";

    public static string Spread(Stat s) => s.N <= 1 ? "" : $" ±{(s.SpreadPercent / 2).ToString("0", C)}%";

    public static string Range(Stat s) => s.N <= 1 ? Count(s.Median) : $"{Count(s.Median)} ({Count(s.Min)}–{Count(s.Max)})";
}
