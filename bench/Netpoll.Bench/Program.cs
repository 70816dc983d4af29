using System.Globalization;
using Netpoll.Bench;

// netpoll-bench: the processes of the side-by-side benchmarks (bench/run drives them).
//   server KIND [--port N] [--pollers N] [--upstream HOST:PORT]
//          KIND: netpoll | netpoll-inline | sockets | kestrel | netpoll-http | netpoll-http-inline | netpoll-http-mock | netpoll-http-mock-inline | netpoll-proxy (needs --upstream)
//   client --target HOST:PORT [--connections N] [--size B] [--duration S] [--warmup S] [--pattern pingpong|idle] ...
//   suite  --mode short|full --floor PATH --out DIR        runs every scenario, writes results.json/.csv
//   report --results FILE [--doc docs/benchmarks.md] --out DIR   tables, ratios and the chart
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Netpoll.Bench server|client|suite|report ... (see bench/run and docs/benchmarks.md)");
    return 2;
}

var options = new CommandLine(args[1..]);
try
{
    return args[0] switch
    {
        "server" => await ServerCommand.RunAsync(options),
        "client" => await ClientCommand.RunAsync(options),
        "suite" => await SuiteCommand.RunAsync(options),
        "report" => ReportCommand.Run(options),
        _ => Usage(args[0]),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"netpoll-bench: {ex.Message}");
    return 2;
}

static int Usage(string verb)
{
    Console.Error.WriteLine($"netpoll-bench: unknown command '{verb}'; use server, client, suite or report.");
    return 2;
}
