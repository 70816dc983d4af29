namespace Netpoll.Tests.Support;

/// <summary>Tests that change or count process-wide resources (fd limits, threads) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide resources";
}
