using System.Globalization;

namespace Netpoll.PowerShell;

/// <summary>
/// Binary byte units scaled to the value (B, KiB, MiB, GiB, TiB), for the format views and report
/// axes. Objects keep raw byte counts; only what people read is scaled.
/// </summary>
public static class ByteUnits
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>"100 B", "1.5 KiB", "12.3 MiB": three significant digits at most, in the current culture.</summary>
    public static string Format(double bytes)
    {
        (double divisor, string unit) = ScaleFor(Math.Abs(bytes));
        double value = bytes / divisor;
        string number = divisor == 1 || Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.CurrentCulture)
            : Math.Abs(value) >= 10 ? value.ToString("N1", CultureInfo.CurrentCulture)
            : value.ToString("N2", CultureInfo.CurrentCulture);
        return $"{number} {unit}";
    }

    /// <summary>A rate: "1.5 MiB/s".</summary>
    public static string FormatRate(double bytesPerSecond) => Format(bytesPerSecond) + "/s";

    /// <summary>The unit that suits values up to <paramref name="largest"/> (for a chart axis) and what to divide by.</summary>
    public static (double Divisor, string Unit) ScaleFor(double largest)
    {
        double divisor = 1;
        int unit = 0;
        while (unit < Units.Length - 1 && largest >= divisor * 1024)
        {
            divisor *= 1024;
            unit++;
        }

        return (divisor, Units[unit]);
    }
}
