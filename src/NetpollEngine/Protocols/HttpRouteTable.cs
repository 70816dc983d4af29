namespace Netpoll.Protocols;

/// <summary>
/// The routes an <see cref="HttpHandler"/> answers, changeable while it serves. Readers take the current
/// array without a lock; <see cref="Set"/> and <see cref="Remove"/> build a new array and swap it in
/// (copy-on-write), so a request is matched against one whole table, never a half-changed one.
/// </summary>
/// <remarks>
/// Matching: the most specific path wins (at the first differing segment literal beats {param} beats
/// * beats **); among routes of that shape, the method named exactly, then GET (for a HEAD request),
/// then *. When routes match the path but none takes the method, the answer is 405 with an Allow
/// field listing theirs; when none matches the path, 404.
/// </remarks>
public sealed class HttpRouteTable
{
    private readonly Lock _writeGate = new();
    private HttpRoute[] _routes; // sorted by precedence; replaced whole, never changed in place

    /// <summary>An empty table (every request gets 404).</summary>
    public HttpRouteTable()
    {
        _routes = [];
    }

    /// <exception cref="ArgumentException">Two routes have the same method and path shape (say which).</exception>
    public HttpRouteTable(IEnumerable<HttpRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var list = new List<HttpRoute>();
        foreach (HttpRoute route in routes)
        {
            ArgumentNullException.ThrowIfNull(route, nameof(routes));
            HttpRoute? twin = list.Find(r => r.Parsed.SameAs(route.Parsed));
            if (twin is not null)
            {
                throw new ArgumentException($"The routes '{twin.Pattern}' and '{route.Pattern}' answer the same requests; keep one, or use Set to replace.", nameof(routes));
            }

            list.Add(route);
        }

        _routes = Sorted(list);
    }

    /// <summary>The routes in the order they are tried.</summary>
    public IReadOnlyList<HttpRoute> Routes => Volatile.Read(ref _routes);

    /// <summary>Adds <paramref name="route"/>, or replaces the route with the same method and path shape. Returns the one replaced, if any.</summary>
    public HttpRoute? Set(HttpRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        lock (_writeGate)
        {
            var list = new List<HttpRoute>(_routes);
            int at = list.FindIndex(r => r.Parsed.SameAs(route.Parsed));
            HttpRoute? replaced = at >= 0 ? list[at] : null;
            if (at >= 0)
            {
                list[at] = route;
            }
            else
            {
                list.Add(route);
            }

            Volatile.Write(ref _routes, Sorted(list));
            return replaced;
        }
    }

    /// <summary>Removes the route with this method and path shape ({param} names aside). Returns it, or null when there was none.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed.</exception>
    public HttpRoute? Remove(string pattern)
    {
        HttpRoutePattern parsed = HttpRoutePattern.Parse(pattern);
        lock (_writeGate)
        {
            HttpRoute? found = Array.Find(_routes, r => r.Parsed.SameAs(parsed));
            if (found is not null)
            {
                Volatile.Write(ref _routes, [.. _routes.Where(r => !ReferenceEquals(r, found))]);
            }

            return found;
        }
    }

    /// <summary>The route with this method and path shape, or null.</summary>
    public HttpRoute? Find(string pattern)
    {
        HttpRoutePattern parsed = HttpRoutePattern.Parse(pattern);
        return Array.Find(Volatile.Read(ref _routes), r => r.Parsed.SameAs(parsed));
    }

    /// <summary>The route that answers <paramref name="method"/> <paramref name="path"/>; null with <paramref name="pathMatched"/> for 405, without for 404.</summary>
    internal HttpRoute? Match(ReadOnlySpan<byte> method, ReadOnlySpan<byte> path, out bool pathMatched)
    {
        HttpRoute[] routes = Volatile.Read(ref _routes);
        HttpRoute? best = null;
        int bestRank = int.MaxValue;
        pathMatched = false;
        foreach (HttpRoute route in routes)
        {
            if (best is not null && !route.Parsed.SameShape(best.Parsed))
            {
                break; // sorted: every later route is less specific than the one found
            }

            if (!route.Parsed.Matches(path))
            {
                continue;
            }

            pathMatched = true;
            int rank = route.Parsed.MethodRank(method);
            if (rank >= 0 && rank < bestRank)
            {
                best = route;
                bestRank = rank;
                if (rank == 0)
                {
                    break;
                }
            }
        }

        return best;
    }

    /// <summary>The Allow value for a path whose routes refuse the method: their methods, with HEAD wherever GET is.</summary>
    internal string AllowedMethods(ReadOnlySpan<byte> path)
    {
        var methods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (HttpRoute route in Volatile.Read(ref _routes))
        {
            if (route.Parsed.Matches(path))
            {
                methods.Add(route.Method);
                if (route.Method == "GET")
                {
                    methods.Add("HEAD");
                }
            }
        }

        return string.Join(", ", methods);
    }

    /// <summary>Every method any route names (for OPTIONS *).</summary>
    internal string AllMethods()
    {
        var methods = new SortedSet<string>(StringComparer.Ordinal) { "OPTIONS" };
        foreach (HttpRoute route in Volatile.Read(ref _routes))
        {
            if (!route.Parsed.AnyMethod)
            {
                methods.Add(route.Method);
            }

            if (route.Method == "GET")
            {
                methods.Add("HEAD");
            }
        }

        return string.Join(", ", methods);
    }

    private static HttpRoute[] Sorted(List<HttpRoute> routes)
    {
        HttpRoute[] sorted = [.. routes];
        // Stable for equal keys is not needed: equal method and shape cannot both be in a table.
        Array.Sort(sorted, static (a, b) => HttpRoutePattern.CompareSpecificity(a.Parsed, b.Parsed));
        return sorted;
    }
}
