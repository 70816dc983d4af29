using System.Management.Automation;
using Netpoll.PowerShell.Tuning;

namespace Netpoll.PowerShell;

/// <summary>Restore-NetpollTuning: puts back every value a snapshot recorded and removes its drop-in files.</summary>
[Cmdlet(VerbsData.Restore, "NetpollTuning", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = LatestSet, HelpUri = HelpLinks.Tuning)]
[OutputType(typeof(NetpollTuningChange))]
public sealed class RestoreNetpollTuningCommand : PSCmdlet
{
    private const string LatestSet = "Latest";
    private const string SnapshotSet = "Snapshot";

    /// <summary>The snapshot file (the Snapshot property of Set-NetpollTuning's output binds by name).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SnapshotSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Snapshot { get; set; }

    /// <summary>Restore the newest snapshot.</summary>
    [Parameter(ParameterSetName = LatestSet)]
    public SwitchParameter Latest { get; set; }

    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        string? path = ParameterSetName == SnapshotSet ? GetUnresolvedProviderPathFromPSPath(Snapshot) : TuningSnapshot.Latest();
        if (path is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ItemNotFoundException($"No tuning snapshot waits in {TuningSnapshot.Directory()}: Set-NetpollTuning changed nothing since the last restore (a restored snapshot stays there as *.restored; -Snapshot takes one)."), ErrorIds.TuningSnapshotNotFound, ErrorCategory.ObjectNotFound, TuningSnapshot.Directory()));
            return;
        }

        if (!_done.Add(path))
        {
            return; // several changes from one Set-NetpollTuning share a snapshot
        }

        TuningSnapshot snapshot;
        try
        {
            snapshot = TuningSnapshot.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            // The bare exception named neither the file nor what it was read for ("Expected depth to be zero ...").
            var unreadable = new InvalidDataException($"The tuning snapshot {path} cannot be read, so nothing was restored: {ex.Message}", ex);
            WriteError(new ErrorRecord(unreadable, ErrorIds.TuningSnapshotInvalid, ErrorCategory.InvalidData, path));
            return;
        }

        if (!ShouldProcess($"{snapshot.Values.Count} settings and {snapshot.Files.Count} files from {path}", "Restore"))
        {
            return;
        }

        IReadOnlyList<NetpollTuningChange> changes = TuningApplier.Restore(SystemAccess.Current, snapshot);
        foreach (NetpollTuningChange change in changes.Where(c => c.Status == TuningChangeStatus.Failed))
        {
            WriteWarning($"{change.Setting} was not restored: {change.Reason}");
        }

        WriteObject(changes, enumerateCollection: true);
        if (changes.All(c => c.Status != TuningChangeStatus.Failed))
        {
            File.Move(path, path + ".restored", overwrite: true);
        }
    }
}
