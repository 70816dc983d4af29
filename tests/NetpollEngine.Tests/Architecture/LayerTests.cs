using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;
using Netpoll.Connections;

namespace Netpoll.Tests.Architecture;

/// <summary>A wrong <c>using</c> between layers fails here, naming the type that crossed.</summary>
public class LayerTests
{
    private static readonly Assembly Engine = typeof(Connection).Assembly;

    public static TheoryData<string> LayerNames => [.. Layers.MayUse.Keys];

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void A_layer_uses_only_the_layers_it_is_allowed_to(string layer)
    {
        string[] forbidden = [.. Layers.MayUse.Keys.Where(l => l != layer && !Layers.MayUse[layer].Contains(l)).Select(Layers.Namespace)];

        TestResult result = Types.InAssembly(Engine)
            .That().ResideInNamespace(Layers.Namespace(layer))
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        Assert.True(result.SelectedTypesForTesting.Any(), $"no type was found in {Layers.Namespace(layer)}");
        Assert.True(result.IsSuccessful,
            $"{layer} may use only [{string.Join(", ", Layers.MayUse[layer])}], but these types use another layer:\n  " +
            string.Join("\n  ", result.FailingTypes.Select(t => $"{t.FullName}: {t.Explanation}")));
    }

    [Fact]
    public void Every_engine_type_lives_in_one_layer_namespace()
    {
        string[] layers = [.. Layers.MayUse.Keys.Select(Layers.Namespace)];
        string[] strays = [.. Engine.GetTypes()
            .Where(t => !t.IsNested && t.GetCustomAttribute<CompilerGeneratedAttribute>() is null && !t.Name.StartsWith('<'))
            .Where(t => !layers.Contains(t.Namespace))
            .Select(t => t.FullName!)];

        Assert.True(strays.Length == 0, $"types outside the layer namespaces ({string.Join(", ", layers)}):\n  {string.Join("\n  ", strays)}");
    }
}
