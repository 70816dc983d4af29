using System.Globalization;
using Netpoll.Bench;

// netpoll-bench: the processes of the side-by-side benchmarks (bench/run drives them).
//   server KIND [--port N] [--pollers N] [--upstream HOST:PORT]
//          KIND: netpoll | netpoll-inline | sockets | kestrel | netpoll-http | netpoll-http-inline | netpoll-http-mock | netpoll-http-mock-inline | netpoll-proxy (needs --upstream)
//                | netpoll-https | netpoll-https-inline | netpoll-https-uring-inline | kestrel-https (these need --cert)
//   client --target HOST:PORT [--connections N] [--size B] [--duration S] [--warmup S] [--pattern pingpong|idle] ...
//   https  --target HOST:PORT [--mode handshake|resumed|keepalive] [--connections N] [--duration S] [--warmup S]
//   cert   PATH                                     writes the HTTPS servers' certificate (self-signed ECDSA P-256 PFX)
//   suite  --mode short|full --floor PATH --out DIR        runs every scenario, writes results.json/.csv
//   report --results FILE [--doc docs/benchmarks.md] --out DIR   tables, ratios and the chart
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Netpoll.Bench server|client|https|cert|suite|report ... (see bench/run and docs/benchmarks.md)");
    return 2;
}

var options = new CommandLine(args[1..]);
try
{
    return args[0] switch
    {
        "server" => await ServerCommand.RunAsync(options),
        "client" => await ClientCommand.RunAsync(options),
        "https" => await HttpsClientCommand.RunAsync(options),
        "cert" => WriteCertificate(options),
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

static int WriteCertificate(CommandLine options)
{
    string path = options.Positional.Count > 0 ? options.Positional[0] : throw new ArgumentException("cert needs a PATH for the PFX.");
    Console.Out.WriteLine(BenchCertificate.Create(path));
    return 0;
}

static int Usage(string verb)
{
    Console.Error.WriteLine($"netpoll-bench: unknown command '{verb}'; use server, client, https, cert, suite or report.");
    return 2;
}
