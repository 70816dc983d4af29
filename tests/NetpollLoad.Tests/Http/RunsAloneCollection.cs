namespace Netpoll.Load.Tests.Http;

/// <summary>
/// Fixed-rate tests whose schedule must be held: they run alone, after the others, so the tests running beside them in
/// this process do not take the CPU the schedule needs (what they assert is where requests go, not how fast a machine is).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Fixed rate, alone";
}
