using System.Collections.Concurrent;

namespace Netpoll;

/// <summary>The live poll groups of this process, by owner name, so metric callbacks can read their counters.</summary>
internal static class PollGroupRegistry
{
    private static readonly ConcurrentDictionary<PollGroup, string> Groups = new();

    public static void Add(PollGroup group, string owner) => Groups[group] = owner;

    public static void Remove(PollGroup group) => Groups.TryRemove(group, out _);

    public static IEnumerable<(string Owner, Poller Poller)> Pollers =>
        Groups.SelectMany(g => g.Key.Pollers.Select(p => (g.Value, p)));
}
