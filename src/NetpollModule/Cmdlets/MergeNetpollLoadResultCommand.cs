using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// Merge-NetpollLoadResult: one LoadResult from the parts of a test that ran at the same time on several
/// nodes (remoting, jobs, or separate runs), live or deserialized. Counts, errors and status codes add up;
/// latencies come from the merged histograms (every percentile of every request); the per-second timeline
/// is aligned by wall clock; <c>Nodes</c> keeps each part, named by its -Tag, else the computer it came
/// from (PSComputerName), else its place in the input. A part that is not a load result is this item's
/// error, and the rest still merge.
/// </summary>
[Cmdlet(VerbsData.Merge, "NetpollLoadResult", HelpUri = HelpLinks.Module)]
[OutputType(typeof(LoadResult))]
public sealed class MergeNetpollLoadResultCommand : PSCmdlet
{
    private const string ComputerNameProperty = "PSComputerName";

    private readonly List<LoadResult> _parts = [];

    /// <summary>The results to merge: Invoke-NetpollLoad's, also after Invoke-Command, Receive-Job or Import-Clixml.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[]? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        foreach (PSObject input in InputObject!)
        {
            try
            {
                LoadResult part = DeserializedLoadResult.From(input);
                string? computer = input.Properties[ComputerNameProperty]?.Value as string;
                _parts.Add(part with { Tag = part.Tag ?? computer });
            }
            catch (InvalidDataException ex)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.LoadResultInvalid, ErrorCategory.InvalidData, input));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_parts.Count == 0)
        {
            WriteError(new ErrorRecord(new ArgumentException("No load result to merge: pipe or pass the results of Invoke-NetpollLoad."), ErrorIds.NoLoadResults, ErrorCategory.InvalidArgument, null));
            return;
        }

        try
        {
            WriteObject(LoadResult.Merge(Named(_parts)));
        }
        catch (ArgumentException ex)
        {
            WriteError(new ErrorRecord(ex, ErrorIds.LoadResultInvalid, ErrorCategory.InvalidData, _parts));
        }
    }

    /// <summary>Each part with a name of its own: its tag or computer, else "node N"; a name that repeats gets "#2", "#3".</summary>
    private static IEnumerable<LoadResult> Named(List<LoadResult> parts)
    {
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < parts.Count; i++)
        {
            string name = parts[i].Tag ?? $"node{i + 1}";
            int count = seen[name] = seen.GetValueOrDefault(name) + 1;
            yield return parts[i] with { Tag = count == 1 ? name : $"{name}#{count}" };
        }
    }
}
