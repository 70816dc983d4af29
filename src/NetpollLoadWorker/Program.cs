using System.Text.Json;
using Netpoll.Load;
using Netpoll.Load.Contracts;

// netpoll-load: reads one LoadRequest as JSON from stdin, runs it, reports progress and the result on
// stdout (see WorkerProtocol). Closing stdin or SIGTERM/SIGINT cancels the test; the result still comes.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

string? line = await Console.In.ReadLineAsync();
if (string.IsNullOrWhiteSpace(line))
{
    Console.Out.WriteLine(WorkerProtocol.ErrorPrefix + "No load request on stdin.");
    return 2;
}

LoadOptions options;
try
{
    LoadRequest request = JsonSerializer.Deserialize<LoadRequest>(line, WorkerProtocol.Json) ?? throw new FormatException("empty request");
    options = request.ToOptions();
}
catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or System.Net.Sockets.SocketException)
{
    Console.Out.WriteLine(WorkerProtocol.ErrorPrefix + ex.Message);
    return 2;
}

// The parent closing our stdin means "stop now".
_ = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is not null)
    {
    }

    await cancel.CancelAsync();
});

var output = Console.Out;
try
{
    LoadResult result = await LoadGenerator.RunAsync(
        options,
        p => { lock (output) { output.WriteLine(WorkerProtocol.ProgressPrefix + JsonSerializer.Serialize(p, WorkerProtocol.Json)); output.Flush(); } },
        cancel.Token);
    lock (output)
    {
        output.WriteLine(WorkerProtocol.ResultPrefix + JsonSerializer.Serialize(result, WorkerProtocol.Json));
        output.Flush();
    }

    return 0;
}
catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    output.WriteLine(WorkerProtocol.ErrorPrefix + ex.Message);
    return 2;
}
catch (Exception ex)
{
    // A bug, not a refusal: still a line the parent reports (an unhandled exception aborts with 134 and says nothing there).
    Console.Error.WriteLine(ex);
    output.WriteLine($"{WorkerProtocol.ErrorPrefix}the load worker failed: {ex.GetType().Name}: {ex.Message}");
    return 70; // EX_SOFTWARE
}
