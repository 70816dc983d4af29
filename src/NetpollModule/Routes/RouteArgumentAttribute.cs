using System.Collections;
using System.Management.Automation;
using Netpoll.Protocols;

namespace Netpoll.PowerShell;

/// <summary>
/// Binds -Route: a hashtable (or several) of <c>'METHOD /path' = answer</c>, where the answer is a
/// response hashtable, a string, a status code, byte[], an HttpResponse or a scriptblock. Every pattern
/// and static response is checked here, so a malformed route fails at parameter binding saying what is
/// allowed, before any server starts.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class RouteArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        ArgumentNullException.ThrowIfNull(engineIntrinsics);
        var routes = new List<RouteDefinition>();
        foreach (object? item in LanguagePrimitives.GetEnumerable(inputData) ?? new[] { inputData })
        {
            switch (item is PSObject pso ? pso.BaseObject : item)
            {
                case IDictionary table:
                    foreach (DictionaryEntry entry in table)
                    {
                        routes.Add(Define(engineIntrinsics, entry.Key?.ToString() ?? "", entry.Value));
                    }

                    break;
                case HttpRoute route:
                    routes.Add(RouteDefinition.Static(route));
                    break;
                case RouteDefinition definition:
                    routes.Add(definition);
                    break;
                default:
                    throw new ArgumentTransformationMetadataException(
                        $"-Route takes hashtables of 'METHOD /path' = answer (e.g. @{{ 'GET /health' = 'ok'; 'GET /users/{{id}}' = {{ param($Request) ... }} }}); got {item}.");
            }
        }

        if (routes.Count == 0)
        {
            throw new ArgumentTransformationMetadataException("-Route needs at least one 'METHOD /path' = answer entry.");
        }

        return routes.ToArray();
    }

    private static RouteDefinition Define(EngineIntrinsics engine, string pattern, object? answer)
    {
        try
        {
            if ((answer is PSObject pso ? pso.BaseObject : answer) is ScriptBlock script)
            {
                HttpRoute.Dynamic(pattern, _ => default); // checks the pattern now, not when the pool exists
                return RouteDefinition.Scripted(pattern, script);
            }

            object? normalized = answer is IDictionary or PSObject { BaseObject: IDictionary }
                ? engine.InvokeCommand.InvokeScript(RouteResponse.NormalizeScript, false, System.Management.Automation.Runspaces.PipelineResultTypes.Output, null, answer).FirstOrDefault()
                : answer;
            HttpResponse response = RouteResponse.From(normalized, path => engine.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            return RouteDefinition.Static(HttpRoute.Static(pattern, response));
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or IOException or RuntimeException)
        {
            throw new ArgumentTransformationMetadataException($"Route '{pattern}': {ex.Message}", ex);
        }
    }
}
