using System.Collections;
using System.Globalization;
using System.Management.Automation.Language;

namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// A named tuning profile (C10K, C100K, C1M) read from tuning/&lt;name&gt;.psd1: a connection count and,
/// per platform, the exact values to apply. Data, not code: operators can read and edit them.
/// </summary>
public sealed class TuningProfile
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required int Connections { get; init; }
    public required IReadOnlyDictionary<TuningPlatform, IReadOnlyList<TuningTarget>> Targets { get; init; }

    /// <summary>The folder profiles are read from: NETPOLL_TUNING_PROFILES, else tuning/ beside the module manifest.</summary>
    public static string DefaultDirectory(string moduleBase) =>
        Environment.GetEnvironmentVariable("NETPOLL_TUNING_PROFILES") is { Length: > 0 } dir ? dir : Path.Combine(moduleBase, "tuning");

    public static TuningProfile Load(string directory, string name)
    {
        string path = Path.Combine(directory, name.ToLowerInvariant() + ".psd1");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tuning profile '{name}' was not found at {path}.", path);
        }

        ScriptBlockAst ast = Parser.ParseFile(path, out _, out ParseError[] errors);
        if (errors.Length > 0 || ast.Find(a => a is HashtableAst, false) is not HashtableAst table)
        {
            throw new InvalidDataException($"Tuning profile {path} is not a valid data file: {string.Join("; ", errors.Select(e => e.Message))}");
        }

        var data = (Hashtable)table.SafeGetValue();
        var targets = new Dictionary<TuningPlatform, IReadOnlyList<TuningTarget>>();
        foreach (TuningPlatform platform in Enum.GetValues<TuningPlatform>())
        {
            if (data[platform.ToString()] is Hashtable values)
            {
                targets[platform] = [.. values.Cast<DictionaryEntry>().Select(e => new TuningTarget((string)e.Key, Convert.ToString(e.Value, CultureInfo.InvariantCulture)!)).OrderBy(t => t.Setting, StringComparer.Ordinal)];
            }
        }

        return new TuningProfile
        {
            Name = (string?)data["Name"] ?? name,
            Description = (string?)data["Description"] ?? "",
            Connections = Convert.ToInt32(data["Connections"], CultureInfo.InvariantCulture),
            Targets = targets,
        };
    }
}
