using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Netpoll.Tests.PublicApi;

/// <summary>
/// Writes an assembly's public surface as sorted lines, one per type and member, in the spirit of
/// Roslyn's PublicAPI.Shipped.txt: <c>Namespace.Type.Member(parameters) -&gt; ReturnType</c>, with
/// nullability, defaults and modifiers, so any change users could see changes a line.
/// </summary>
internal static class PublicApiSurface
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static IReadOnlyList<string> Of(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes())
        {
            lines.Add(TypeLine(type));
            foreach (MemberInfo member in type.GetMembers(Declared))
            {
                if (Line(type, member) is { } line)
                {
                    lines.Add(line);
                }
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string TypeLine(Type type)
    {
        string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? (IsReadOnly(type) ? "readonly struct" : "struct")
            : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
            : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";
        if (IsRecord(type))
        {
            kind = kind.Replace("class", "record", StringComparison.Ordinal).Replace("struct", "record struct", StringComparison.Ordinal);
        }

        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(MulticastDelegate).Equals(b))
        {
            bases.Add(Name(b));
        }

        bases.AddRange((type.IsEnum ? [] : type.GetInterfaces()).Where(i => i.IsPublic || i.IsNestedPublic).Select(i => Name(i)).Where(n => !n.StartsWith("System.IEquatable<", StringComparison.Ordinal) || !IsRecord(type)).Order(StringComparer.Ordinal));
        return $"{kind} {Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static string? Line(Type type, MemberInfo member)
    {
        string owner = Name(type);
        switch (member)
        {
            case ConstructorInfo c when Visible(c) && !type.IsEnum:
                return $"{Prefix(c)}{owner}.{Simple(type)}({Parameters(c)})";
            case MethodInfo m when Visible(m) && !m.IsSpecialName && !IsCompilerNoise(type, m):
                var nullability = new NullabilityInfoContext();
                return $"{Prefix(m)}{owner}.{m.Name}{Generics(m)}({Parameters(m)}) -> {Name(m.ReturnType, nullability.Create(m.ReturnParameter))}";
            case MethodInfo m when Visible(m) && m.IsSpecialName && m.Name.StartsWith("op_", StringComparison.Ordinal):
                return $"static {owner}.{m.Name}({Parameters(m)}) -> {Name(m.ReturnType)}";
            case PropertyInfo p:
                var context = new NullabilityInfoContext();
                var accessors = new List<string>();
                if (p.GetMethod is { } get && Visible(get))
                {
                    accessors.Add("get");
                }

                if (p.SetMethod is { } set && Visible(set))
                {
                    accessors.Add(set.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit)) ? "init" : "set");
                }

                if (accessors.Count == 0 || IsCompilerNoise(type, p.GetMethod ?? p.SetMethod!))
                {
                    return null;
                }

                string required = p.GetCustomAttribute<RequiredMemberAttribute>() is not null ? "required " : "";
                string index = p.GetIndexParameters() is { Length: > 0 } ip ? "[" + string.Join(", ", ip.Select(x => Name(x.ParameterType) + " " + x.Name)) + "]" : "";
                return $"{required}{Prefix(p.GetMethod ?? p.SetMethod!)}{owner}.{p.Name}{index} {{ {string.Join("; ", accessors)}; }} -> {Name(p.PropertyType, context.Create(p))}";
            case FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName:
                if (type.IsEnum)
                {
                    return $"{owner}.{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}";
                }

                string modifiers = f.IsLiteral ? "const " : (f.IsStatic ? "static " : "") + (f.IsInitOnly ? "readonly " : "");
                string value = f.IsLiteral ? $" = {Literal(f.GetRawConstantValue())}" : "";
                return $"{modifiers}{owner}.{f.Name}{value} -> {Name(f.FieldType, new NullabilityInfoContext().Create(f))}";
            case EventInfo e when e.AddMethod is { } add && Visible(add):
                return $"{Prefix(add)}event {owner}.{e.Name} -> {Name(e.EventHandlerType!, new NullabilityInfoContext().Create(e))}";
            case Type nested when nested.IsNestedPublic || nested.IsNestedFamily:
                return null; // listed as a type of its own
            default:
                return null;
        }
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static string Prefix(MethodBase m)
    {
        var sb = new StringBuilder();
        if (m.IsFamily || m.IsFamilyOrAssembly)
        {
            sb.Append("protected ");
        }

        if (m.IsStatic)
        {
            sb.Append("static ");
        }
        else if (m.IsAbstract)
        {
            sb.Append("abstract ");
        }
        else if (m is MethodInfo mi && mi.IsVirtual && !mi.IsFinal)
        {
            sb.Append(mi.GetBaseDefinition() == mi ? "virtual " : "override ");
        }
        else if (m is MethodInfo o && o.IsVirtual && o.GetBaseDefinition() != o)
        {
            sb.Append("override ");
        }

        return sb.ToString();
    }

    // Records generate these; their shape follows from the record's properties, so listing them adds only noise.
    private static bool IsCompilerNoise(Type type, MethodInfo m) =>
        IsRecord(type) && (m.Name is "<Clone>$" or "PrintMembers" or "get_EqualityContract" || m.GetCustomAttribute<CompilerGeneratedAttribute>() is not null && m.Name is "ToString" or "GetHashCode" or "Equals" or "Deconstruct");

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null || (type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);

    private static bool IsReadOnly(Type type) => type.GetCustomAttributes().Any(a => a.GetType().Name == "IsReadOnlyAttribute");

    private static string Simple(Type type) => type.Name.Split('`')[0];

    private static string Generics(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase method)
    {
        var context = new NullabilityInfoContext();
        return string.Join(", ", method.GetParameters().Select(p =>
        {
            string modifier = p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "";
            Type t = p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType;
            string text = $"{modifier}{Name(t, context.Create(p))} {p.Name}";
            return p.HasDefaultValue ? $"{text} = {Literal(p.RawDefaultValue)}" : text;
        }));
    }

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Name(Type type, NullabilityInfo? nullability = null)
    {
        string text;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        if (type.IsArray)
        {
            text = Name(type.GetElementType()!, nullability?.ElementType) + "[]";
        }
        else if (type.IsGenericParameter)
        {
            text = type.Name;
        }
        else if (type.IsGenericType)
        {
            Type[] args = type.GetGenericArguments();
            string name = (type.DeclaringType is { } d && !type.IsGenericParameter ? Name(d.IsGenericTypeDefinition ? d : d) + "." : type.Namespace + ".") + Simple(type);
            text = name + "<" + string.Join(", ", args.Select((a, i) => Name(a, nullability?.GenericTypeArguments.ElementAtOrDefault(i)))) + ">";
        }
        else
        {
            text = Keyword(type) ?? (type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.FullName ?? type.Name);
        }

        return nullability is { ReadState: NullabilityState.Nullable } && !type.IsValueType ? text + "?" : text;
    }

    private static string? Keyword(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Boolean => "bool",
        TypeCode.Byte => "byte",
        TypeCode.Int32 when !type.IsEnum => "int",
        TypeCode.Int64 when !type.IsEnum => "long",
        TypeCode.Double => "double",
        TypeCode.String => "string",
        _ when type == typeof(object) => "object",
        _ when type == typeof(void) => "void",
        _ => null,
    };
}
