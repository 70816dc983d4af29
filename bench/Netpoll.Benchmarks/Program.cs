using BenchmarkDotNet.Running;

namespace Netpoll.Benchmarks;

/// <summary>
/// Entry point: pick benchmarks with BenchmarkDotNet's switcher, e.g.
/// <c>dotnet run -c Release --project bench/Netpoll.Benchmarks -- --filter '*' --job short</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
