using System.Reflection;
using System.Runtime.CompilerServices;
using Netpoll.Connections;

namespace Netpoll.Load.Tests.Architecture;

/// <summary>
/// The load generator is a user of the engine like any other: its own assembly, the engine's public API
/// only (the compiler holds it to that as long as the engine grants it no internals), and no package but
/// HdrHistogram.
/// </summary>
public class EngineUserTests
{
    private static readonly Assembly Load = typeof(LoadGenerator).Assembly;
    private static readonly Assembly Engine = typeof(Connection).Assembly;

    [Fact]
    public void The_engine_grants_the_load_generator_no_internals()
    {
        string[] friends = [.. Engine.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName)];
        Assert.DoesNotContain(Load.GetName().Name, friends);
        Assert.NotEqual(Engine, Load);
    }

    [Fact]
    public void The_load_generator_references_only_the_engine_HdrHistogram_and_the_runtime()
    {
        // Microsoft.VisualBasic.Core ships with the runtime: its TextFieldParser reads the CSV target files.
        string[] others = [.. Load.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name is not ("Netpoll.Engine" or "HdrHistogram" or "netstandard" or "System" or "Microsoft.VisualBasic.Core") && !name.StartsWith("System.", StringComparison.Ordinal))];
        Assert.True(others.Length == 0, $"Netpoll.Load references {string.Join(", ", others)}: the load generator builds on the engine's public API, HdrHistogram and the BCL only.");
    }

    [Fact]
    public void Every_load_type_lives_in_the_Netpoll_Load_namespace()
    {
        string[] strays = [.. Load.GetTypes()
            .Where(t => !t.IsNested && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null && !t.Name.StartsWith('<') && t.Namespace != "Netpoll.Load")
            .Select(t => t.FullName!)];
        Assert.True(strays.Length == 0, $"types outside Netpoll.Load: {string.Join(", ", strays)}");
    }
}
