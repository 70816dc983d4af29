namespace Netpoll.PowerShell;

/// <summary>Every stable ErrorRecord id of the module, in one list: scripts match on these, so they never change.</summary>
internal static class ErrorIds
{
    // Servers
    public const string PortInUse = "NetpollPortInUse";
    public const string AddressNotAvailable = "NetpollAddressNotAvailable";
    public const string AccessDenied = "NetpollAccessDenied";
    public const string ListenFailed = "NetpollListenFailed";
    public const string ServerNotFound = "NetpollServerNotFound";
    public const string ServerNameInUse = "NetpollServerNameInUse";
    public const string InvalidAddress = "NetpollInvalidAddress";
    public const string StopTimedOut = "NetpollStopTimedOut";
    public const string BackendNotSupported = "NetpollBackendNotSupported";
    public const string ConflictingParameters = "NetpollConflictingParameters";

    // HTTP routes
    public const string NotHttpServer = "NetpollNotHttpServer";
    public const string RouteNotFound = "NetpollRouteNotFound";

    // Proxies and toxics
    public const string ProxyNotFound = "NetpollProxyNotFound";
    public const string ProxyNameInUse = "NetpollProxyNameInUse";
    public const string UpstreamNotResolved = "NetpollUpstreamNotResolved";
    public const string ToxicNotFound = "NetpollToxicNotFound";
    public const string ToxicRejected = "NetpollToxicRejected";

    // TLS
    public const string CertificateInvalid = "NetpollCertificateInvalid";
    public const string TlsUnavailable = "NetpollTlsUnavailable";

    // Load
    public const string InvalidTarget = "NetpollInvalidTarget";
    public const string PatternMismatch = "NetpollPatternMismatch";
    public const string LoadFailed = "NetpollLoadFailed";
    public const string LoadThresholdFailed = "NetpollLoadThresholdFailed";
    public const string LoadResultInvalid = "NetpollLoadResultInvalid";
    public const string NoLoadResults = "NetpollNoLoadResults";

    // Stats
    public const string IntervalRequired = "NetpollIntervalRequired";

    // Tuning
    public const string TuningSettingNotFound = "NetpollTuningSettingNotFound";
    public const string TuningProfileNotFound = "NetpollTuningProfileNotFound";
    public const string TuningSnapshotNotFound = "NetpollTuningSnapshotNotFound";
    public const string TuningSnapshotInvalid = "NetpollTuningSnapshotInvalid";

    // Telemetry
    public const string TelemetryUnavailable = "NetpollTelemetryUnavailable";

    // Reports
    public const string ReportOneLoadResult = "NetpollReportOneLoadResult";
}
