using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets -Threshold take a hashtable of metric to condition, as CI scripts write them:
/// <c>@{ LatencyP99 = '50ms'; ErrorRate = '0.1%'; RequestsPerSecond = '>=1000' }</c>. Each is parsed at binding,
/// so a misspelt metric or limit fails before anything runs, listing what is allowed.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class LoadThresholdArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is LoadThreshold[] already)
        {
            return already;
        }

        if (value is not IDictionary table)
        {
            throw new ArgumentTransformationMetadataException(
                $"Give thresholds as a hashtable of metric to condition, such as @{{ LatencyP99 = '50ms'; ErrorRate = '0.1%'; RequestsPerSecond = '>=1000' }}. Metrics: {string.Join(", ", LoadThreshold.Metrics)}.");
        }

        var thresholds = new List<LoadThreshold>();
        foreach (DictionaryEntry entry in table)
        {
            object? condition = entry.Value is PSObject p ? p.BaseObject : entry.Value;
            try
            {
                thresholds.Add(LoadThreshold.Parse(entry.Key.ToString() ?? "", Convert.ToString(condition, CultureInfo.InvariantCulture) ?? ""));
            }
            catch (FormatException ex)
            {
                throw new ArgumentTransformationMetadataException(ex.Message, ex);
            }
        }

        return thresholds.ToArray();
    }
}
