using System.Globalization;

namespace Netpoll.Bench;

/// <summary>"--name value" options and bare words (positional arguments), in order.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _named = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public CommandLine(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                bool hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
                _named[a[2..]] = hasValue ? args[++i] : "true";
            }
            else
            {
                _positional.Add(a);
            }
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public string? Get(string name) => _named.GetValueOrDefault(name);

    public string Get(string name, string fallback) => _named.GetValueOrDefault(name) ?? fallback;

    public bool Flag(string name) => _named.TryGetValue(name, out string? v) && v != "false";

    public int Int(string name, int fallback) => _named.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public long Long(string name, long fallback) => _named.TryGetValue(name, out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => _named.TryGetValue(name, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
