namespace Netpoll.Load;

/// <summary>
/// A load test's errors by cause, one plain property per <see cref="LoadErrorKind"/>, so scripts read
/// <c>$result.ErrorsByKind.Refused</c> and exports show numbers. Immutable.
/// </summary>
public sealed record LoadErrors
{
    /// <summary>Distinct messages kept per kind that keeps them.</summary>
    internal const int DetailsKept = 8;

    /// <summary>No errors at all.</summary>
    public static readonly LoadErrors None = new();

    // Lists that print their messages (ReadableList), whoever sets them, so Export-Csv of ErrorsByKind shows them.
    private readonly ReadableList<string> _badResponseDetails = ReadableList<string>.Empty;
    private readonly ReadableList<string> _otherDetails = ReadableList<string>.Empty;
    private readonly ReadableList<string> _tlsDetails = ReadableList<string>.Empty;

    public long Refused { get; init; }
    public long Reset { get; init; }
    public long ConnectTimeout { get; init; }
    public long ResponseTimeout { get; init; }
    public long HostUnreachable { get; init; }
    public long NetworkUnreachable { get; init; }
    public long TooManyOpenFiles { get; init; }
    public long AddressNotAvailable { get; init; }
    public long AddressInUse { get; init; }
    public long BrokenPipe { get; init; }
    public long NoBufferSpace { get; init; }
    public long AccessDenied { get; init; }
    public long ClosedEarly { get; init; }
    public long BadResponse { get; init; }
    public long TlsHandshake { get; init; }
    public long TlsHandshakeTimeout { get; init; }
    public long Other { get; init; }

    /// <summary>How the <see cref="BadResponse"/> replies broke their protocol ("status line is not HTTP/1.x: ..."), distinct, the first few kept.</summary>
    public IReadOnlyList<string> BadResponseDetails { get => _badResponseDetails; init => _badResponseDetails = ReadableList<string>.Of(value); }

    /// <summary>The messages of the <see cref="Other"/> errors (each names its errno), distinct, the first few kept.</summary>
    public IReadOnlyList<string> OtherDetails { get => _otherDetails; init => _otherDetails = ReadableList<string>.Of(value); }

    /// <summary>Why the <see cref="TlsHandshake"/> errors failed ("the server ended the session with TLS alert 116: tlsv13 alert certificate required"), distinct, the first few kept.</summary>
    public IReadOnlyList<string> TlsDetails { get => _tlsDetails; init => _tlsDetails = ReadableList<string>.Of(value); }

    /// <summary>All errors.</summary>
    public long Total => Enum.GetValues<LoadErrorKind>().Sum(kind => this[kind]);

    public long this[LoadErrorKind kind] => kind switch
    {
        LoadErrorKind.Refused => Refused,
        LoadErrorKind.Reset => Reset,
        LoadErrorKind.ConnectTimeout => ConnectTimeout,
        LoadErrorKind.ResponseTimeout => ResponseTimeout,
        LoadErrorKind.HostUnreachable => HostUnreachable,
        LoadErrorKind.NetworkUnreachable => NetworkUnreachable,
        LoadErrorKind.TooManyOpenFiles => TooManyOpenFiles,
        LoadErrorKind.AddressNotAvailable => AddressNotAvailable,
        LoadErrorKind.AddressInUse => AddressInUse,
        LoadErrorKind.BrokenPipe => BrokenPipe,
        LoadErrorKind.NoBufferSpace => NoBufferSpace,
        LoadErrorKind.AccessDenied => AccessDenied,
        LoadErrorKind.ClosedEarly => ClosedEarly,
        LoadErrorKind.BadResponse => BadResponse,
        LoadErrorKind.TlsHandshake => TlsHandshake,
        LoadErrorKind.TlsHandshakeTimeout => TlsHandshakeTimeout,
        LoadErrorKind.Other => Other,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a LoadErrorKind."),
    };

    /// <summary>The causes that occurred, with their counts, in declaration order.</summary>
    public IEnumerable<(LoadErrorKind Kind, long Count)> Occurred() =>
        Enum.GetValues<LoadErrorKind>().Select(kind => (kind, this[kind])).Where(e => e.Item2 > 0);

    public static LoadErrors From(IReadOnlyDictionary<LoadErrorKind, long> counts, IReadOnlyList<string> otherDetails, IReadOnlyList<string>? badResponseDetails = null, IReadOnlyList<string>? tlsDetails = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(otherDetails);
        long Of(LoadErrorKind kind) => counts.TryGetValue(kind, out long n) ? n : 0;
        return new LoadErrors
        {
            Refused = Of(LoadErrorKind.Refused),
            Reset = Of(LoadErrorKind.Reset),
            ConnectTimeout = Of(LoadErrorKind.ConnectTimeout),
            ResponseTimeout = Of(LoadErrorKind.ResponseTimeout),
            HostUnreachable = Of(LoadErrorKind.HostUnreachable),
            NetworkUnreachable = Of(LoadErrorKind.NetworkUnreachable),
            TooManyOpenFiles = Of(LoadErrorKind.TooManyOpenFiles),
            AddressNotAvailable = Of(LoadErrorKind.AddressNotAvailable),
            AddressInUse = Of(LoadErrorKind.AddressInUse),
            BrokenPipe = Of(LoadErrorKind.BrokenPipe),
            NoBufferSpace = Of(LoadErrorKind.NoBufferSpace),
            AccessDenied = Of(LoadErrorKind.AccessDenied),
            ClosedEarly = Of(LoadErrorKind.ClosedEarly),
            BadResponse = Of(LoadErrorKind.BadResponse),
            TlsHandshake = Of(LoadErrorKind.TlsHandshake),
            TlsHandshakeTimeout = Of(LoadErrorKind.TlsHandshakeTimeout),
            Other = Of(LoadErrorKind.Other),
            OtherDetails = otherDetails,
            BadResponseDetails = badResponseDetails ?? [],
            TlsDetails = tlsDetails ?? [],
        };
    }

    /// <summary>The errors of several runs added up (details merged, distinct, the first few kept).</summary>
    public static LoadErrors Sum(IEnumerable<LoadErrors> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        LoadErrors[] all = [.. errors];
        var counts = Enum.GetValues<LoadErrorKind>().ToDictionary(kind => kind, kind => all.Sum(e => e[kind]));
        return From(
            counts,
            [.. all.SelectMany(e => e.OtherDetails).Distinct(StringComparer.Ordinal).Take(DetailsKept)],
            [.. all.SelectMany(e => e.BadResponseDetails).Distinct(StringComparer.Ordinal).Take(DetailsKept)],
            [.. all.SelectMany(e => e.TlsDetails).Distinct(StringComparer.Ordinal).Take(DetailsKept)]);
    }

    /// <summary>"Refused=3, Reset=1" (what Export-Csv and string interpolation show), or "none".</summary>
    public override string ToString()
    {
        string text = string.Join(", ", Occurred().Select(e => $"{e.Kind}={e.Count}"));
        return text.Length == 0 ? "none" : text;
    }
}
