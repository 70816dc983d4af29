using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace Netpoll.TestModules.OtherLogging;

/// <summary>
/// Write-OtherLog: logs one message through this module's own Microsoft.Extensions.Logging (a factory
/// built on dependency injection and options) and reports the versions and load context it ran with.
/// </summary>
[Cmdlet(VerbsCommunications.Write, "OtherLog")]
[OutputType(typeof(PSObject))]
public sealed class WriteOtherLogCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Message { get; set; } = "";

    protected override void EndProcessing()
    {
        var lines = new LineCollectingLoggerProvider();
        using (ILoggerFactory factory = LoggerFactory.Create(logging => logging.AddProvider(lines)))
        {
            factory.CreateLogger("OtherModule").LogInformation("other module says {Message}", Message);
        }

        Assembly abstractions = typeof(ILogger).Assembly;
        var result = new PSObject();
        result.Properties.Add(new PSNoteProperty("Line", string.Join("\n", lines.Lines)));
        result.Properties.Add(new PSNoteProperty("LoggingVersion", typeof(LoggerFactory).Assembly.GetName().Version!.ToString()));
        result.Properties.Add(new PSNoteProperty("AbstractionsVersion", abstractions.GetName().Version!.ToString()));
        result.Properties.Add(new PSNoteProperty("LoadContext", AssemblyLoadContext.GetLoadContext(abstractions)?.Name ?? ""));
        WriteObject(result);
    }
}
