using System.Diagnostics;

namespace Netpoll.PowerShell.Tests;

/// <summary>
/// The -Isolated worker's start: it gets the runtime settings that keep its hot path off instrumented tier-0
/// code (see LoadWorkerRuntime), and a value the user set in the environment wins over ours.
/// </summary>
public class LoadWorkerRuntimeTests
{
    [Fact]
    public void The_worker_starts_with_call_counting_at_once()
    {
        ProcessStartInfo start = IsolatedLoadRunner.WorkerStartInfo("netpoll-load.dll");

        Assert.Equal("0", start.Environment["DOTNET_TC_CallCountingDelayMs"]);
        Assert.Equal("netpoll-load.dll", Assert.Single(start.ArgumentList));
    }

    [Fact]
    public void A_setting_already_in_the_environment_is_kept()
    {
        var environment = new Dictionary<string, string?> { ["DOTNET_TC_CallCountingDelayMs"] = "250" };

        LoadWorkerRuntime.Apply(environment);

        Assert.Equal("250", environment["DOTNET_TC_CallCountingDelayMs"]);
        Assert.Equal(LoadWorkerRuntime.Settings.Count, environment.Count);
    }
}
