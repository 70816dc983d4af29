namespace Netpoll.PowerShell.Tuning;

public enum TuningPlatform
{
    Linux,
    MacOS,
}
