using System.Text.Json;

namespace Netpoll.PowerShell.Tuning;

/// <summary>
/// What Set-NetpollTuning changed and what was there before, written before anything changes, so
/// Restore-NetpollTuning can always put the machine back.
/// </summary>
public sealed class TuningSnapshot
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public required string Id { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required int ProcessId { get; init; }
    public required TuningPlatform Platform { get; init; }
    public required TuningScope Scope { get; init; }
    public required List<SnapshotValue> Values { get; init; }
    public required List<SnapshotFile> Files { get; init; }

    /// <summary>The file this snapshot was saved to.</summary>
    public string? Path { get; set; }

    /// <summary>Where snapshots are kept: NETPOLL_TUNING_STATE, else the user's XDG state folder.</summary>
    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("NETPOLL_TUNING_STATE") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        string state = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return System.IO.Path.Combine(state, "netpoll", "tuning");
    }

    public void Save()
    {
        string dir = Directory();
        System.IO.Directory.CreateDirectory(dir);
        Path = System.IO.Path.Combine(dir, $"snapshot-{Created:yyyyMMdd-HHmmss}-{Id}.json");
        File.WriteAllText(Path, JsonSerializer.Serialize(this, Json));
    }

    public static TuningSnapshot Load(string path)
    {
        TuningSnapshot snapshot = JsonSerializer.Deserialize<TuningSnapshot>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is not a tuning snapshot.");
        snapshot.Path = path;
        return snapshot;
    }

    /// <summary>The newest snapshot, or null when there is none.</summary>
    public static string? Latest()
    {
        string dir = Directory();
        return System.IO.Directory.Exists(dir)
            ? System.IO.Directory.GetFiles(dir, "snapshot-*.json").OrderByDescending(File.GetLastWriteTimeUtc).ThenByDescending(p => p, StringComparer.Ordinal).FirstOrDefault()
            : null;
    }
}

/// <summary>A setting's value before and after a change.</summary>
public sealed record SnapshotValue(string Setting, string? Before, string After);

/// <summary>A drop-in file written by a change, with what it held before (null: it did not exist).</summary>
public sealed record SnapshotFile(string Path, string? PreviousContent);
