using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// Turns a LoadResult back into one after remoting, a job or Import-Clixml, where it arrives as a property
/// bag (Deserialized.Netpoll.Load.LoadResult). Every settable property is read back by its name and type, so
/// the histograms (base64 strings), counts, status codes, errors, stages, thresholds and timeline samples
/// all return; a live LoadResult passes through as itself.
/// </summary>
internal static class DeserializedLoadResult
{
    private const string DeserializedPrefix = "Deserialized.";

    /// <summary>The result <paramref name="input"/> holds or was.</summary>
    /// <exception cref="InvalidDataException">Neither a LoadResult nor a deserialized one, or one that lacks what a result needs; the message says what.</exception>
    public static LoadResult From(PSObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.BaseObject is LoadResult live)
        {
            return live;
        }

        string typeName = typeof(LoadResult).FullName!;
        if (!input.TypeNames.Contains(DeserializedPrefix + typeName, StringComparer.Ordinal) && !input.TypeNames.Contains(typeName, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"A {input.TypeNames.FirstOrDefault() ?? "null"} is not a load result: give what Invoke-NetpollLoad returned (here, from a job, from Invoke-Command or from Import-Clixml).");
        }

        return (LoadResult)Build(input, typeof(LoadResult), "LoadResult");
    }

    private static object? Convert(object? value, Type type, string path)
    {
        value = value is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : value;
        if (value is null)
        {
            return null;
        }

        if (type.IsInstanceOfType(value))
        {
            return value;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Convert(value, underlying, path);
        }

        if (type == typeof(DateTimeOffset))
        {
            return ToDateTimeOffset(value, path);
        }

        if (type == typeof(LoadStatusCodes))
        {
            return value is IDictionary codes
                ? new LoadStatusCodes(codes.Cast<DictionaryEntry>().Select(e => new KeyValuePair<int, long>(ToNumber<int>(e.Key, path), ToNumber<long>(e.Value, path))))
                : throw Invalid(path, "is not a table of status codes");
        }

        if (type == typeof(LoadTimeline))
        {
            return new LoadTimeline(Items(value, path).Select((item, i) => (LoadProgress)Build(item, typeof(LoadProgress), $"{path}[{i}]")));
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            Type element = type.GetGenericArguments()[0];
            object?[] items = [.. Items(value, path).Select((item, i) => Convert(item, element, $"{path}[{i}]"))];
            var list = Array.CreateInstance(element, items.Length);
            Array.Copy(items, list, items.Length);
            return list;
        }

        if (value is PSObject bag)
        {
            return Build(bag, type, path);
        }

        try
        {
            return LanguagePrimitives.ConvertTo(value, type, CultureInfo.InvariantCulture);
        }
        catch (PSInvalidCastException ex)
        {
            throw Invalid(path, $"'{value}' is not a {type.Name}", ex);
        }
    }

    /// <summary>An object of <paramref name="type"/> from a property bag: by its settable properties, or (a positional record) by its constructor's parameters.</summary>
    private static object Build(object? value, Type type, string path)
    {
        if (value is not PSObject bag)
        {
            throw Invalid(path, $"is '{value}', not the properties of a {type.Name} (was it serialized deeper than its SerializationDepth?)");
        }

        if (type.GetConstructor(Type.EmptyTypes) is { } empty)
        {
            object built = empty.Invoke(null);
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                if (bag.Properties[property.Name] is { } found)
                {
                    property.SetValue(built, Convert(found.Value, property.PropertyType, $"{path}.{property.Name}"));
                }
                else if (property.GetCustomAttribute<System.Runtime.CompilerServices.RequiredMemberAttribute>() is not null)
                {
                    throw Invalid(path, $"has no {property.Name}");
                }
            }

            return built;
        }

        ConstructorInfo constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        object?[] arguments = [.. constructor.GetParameters().Select(p => bag.Properties[p.Name!] is { } found
            ? Convert(found.Value, p.ParameterType, $"{path}.{p.Name}")
            : p.HasDefaultValue ? p.DefaultValue : throw Invalid(path, $"has no {p.Name}"))];
        return constructor.Invoke(arguments);
    }

    private static DateTimeOffset ToDateTimeOffset(object value, string path) => value switch
    {
        DateTime time => new DateTimeOffset(time),
        PSObject bag when bag.Properties["UtcTicks"]?.Value is { } ticks && bag.Properties["Offset"]?.Value is { } offset =>
            new DateTimeOffset(ToNumber<long>(ticks, path), TimeSpan.Zero).ToOffset(offset is PSObject o ? (TimeSpan)o.BaseObject : (TimeSpan)offset),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset parsed) => parsed,
        _ => throw Invalid(path, $"'{value}' is not a time"),
    };

    private static T ToNumber<T>(object? value, string path)
    {
        try
        {
            return LanguagePrimitives.ConvertTo<T>(value is PSObject ps ? ps.BaseObject : value);
        }
        catch (PSInvalidCastException ex)
        {
            throw Invalid(path, $"'{value}' is not a {typeof(T).Name}", ex);
        }
    }

    private static IEnumerable<object?> Items(object value, string path) => value switch
    {
        string => throw Invalid(path, $"is '{value}', not a list"),
        IEnumerable items => items.Cast<object?>(),
        _ => throw Invalid(path, $"is '{value}', not a list"),
    };

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"The load result cannot be read back: {path} {problem}.", inner);
}
