using System.Text.Json;
using System.Text.Json.Serialization;

namespace Netpoll.Load.Contracts;

/// <summary>
/// The worker's stdout, one record per line: "P {progress}", then "R {result}" or "E {message}", or both ("R" first)
/// when the run measured but its connections did not close in time.
/// Shared by the worker and the module so both sides read and write the same shapes.
/// </summary>
public static class WorkerProtocol
{
    public const string ProgressPrefix = "P ";
    public const string ResultPrefix = "R ";
    public const string ErrorPrefix = "E ";

    public static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(), new LoadTimelineJsonConverter(), new LoadStatusCodesJsonConverter() },
    };
}
