using Mono.Cecil;
using Mono.Cecil.Cil;
using Netpoll.Connections;

namespace Netpoll.Tests.Architecture;

/// <summary>
/// Protocols are written as a user would write them: against the public API. The layer rule cannot
/// see this (they share the engine's assembly, so internals are in reach), so this reads their IL and
/// fails on any internal type or member of another layer they touch. (The load generator lives in its
/// own assembly, where the compiler enforces the same; tests/NetpollLoad.Tests/Architecture checks it.)
/// </summary>
public class PublicApiOnlyTests
{
    public static TheoryData<string> Layers_ => [.. Layers.PublicApiOnly];

    [Theory]
    [MemberData(nameof(Layers_))]
    public void A_public_api_layer_touches_no_internal_type_or_member_of_another_layer(string layer)
    {
        using AssemblyDefinition assembly = AssemblyDefinition.ReadAssembly(typeof(Connection).Assembly.Location);
        string own = Layers.Namespace(layer);
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        TypeDefinition[] types = [.. assembly.MainModule.GetTypes().Where(t => Outermost(t).Namespace == own)];
        Assert.NotEmpty(types);
        foreach (TypeDefinition type in types)
        {
            foreach (MemberReference used in Uses(type))
            {
                if (Describe(used, own) is { } violation)
                {
                    violations.Add($"{type.FullName} uses {violation}");
                }
            }
        }

        Assert.True(violations.Count == 0, $"{layer} must use only the public API of other layers:\n  {string.Join("\n  ", violations)}");
    }

    private static IEnumerable<MemberReference> Uses(TypeDefinition type)
    {
        if (type.BaseType is not null)
        {
            yield return type.BaseType;
        }

        foreach (InterfaceImplementation i in type.Interfaces)
        {
            yield return i.InterfaceType;
        }

        foreach (FieldDefinition field in type.Fields)
        {
            yield return field.FieldType;
        }

        foreach (MethodDefinition method in type.Methods)
        {
            yield return method.ReturnType;
            foreach (ParameterDefinition parameter in method.Parameters)
            {
                yield return parameter.ParameterType;
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (VariableDefinition variable in method.Body.Variables)
            {
                yield return variable.VariableType;
            }

            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is MemberReference member)
                {
                    yield return member;
                }
            }
        }
    }

    /// <summary>A description of <paramref name="used"/> when it is engine-internal and outside <paramref name="own"/>; else null.</summary>
    private static string? Describe(MemberReference used, string own)
    {
        if (used is TypeReference typeReference)
        {
            return DescribeType(typeReference, own);
        }

        if (DescribeType(used.DeclaringType, own) is { } declaring)
        {
            return declaring;
        }

        IMemberDefinition? definition = used switch
        {
            MethodReference m => m.Resolve(),
            FieldReference f => f.Resolve(),
            _ => null,
        };
        if (definition is null || !InEngineOutside(definition.DeclaringType, own))
        {
            return null;
        }

        bool visible = definition switch
        {
            MethodDefinition m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
            FieldDefinition f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
            _ => true,
        };
        return visible ? null : $"internal member {definition.DeclaringType.FullName}.{definition.Name}";
    }

    private static string? DescribeType(TypeReference? reference, string own)
    {
        switch (reference)
        {
            case null:
                return null;
            case GenericInstanceType generic:
                return DescribeType(generic.ElementType, own) ?? generic.GenericArguments.Select(a => DescribeType(a, own)).FirstOrDefault(d => d is not null);
            case TypeSpecification spec:
                return DescribeType(spec.ElementType, own);
            case GenericParameter:
                return null;
        }

        TypeDefinition? definition = reference.Resolve();
        if (definition is null || !InEngineOutside(definition, own))
        {
            return null;
        }

        for (TypeDefinition? t = definition; t is not null; t = t.DeclaringType)
        {
            if (!(t.IsPublic || t.IsNestedPublic))
            {
                return $"internal type {definition.FullName}";
            }
        }

        return null;
    }

    private static bool InEngineOutside(TypeDefinition type, string own) =>
        type.Module.Assembly.Name.Name == typeof(Connection).Assembly.GetName().Name &&
        Outermost(type).Namespace is { } ns && ns != own && ns.StartsWith(Layers.Root + ".", StringComparison.Ordinal);

    private static TypeDefinition Outermost(TypeDefinition type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }
}
