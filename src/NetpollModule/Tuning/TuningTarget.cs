namespace Netpoll.PowerShell.Tuning;

/// <summary>A value Set-NetpollTuning wants a setting to have.</summary>
public sealed record TuningTarget(string Setting, string Value);
