using BenchmarkDotNet.Running;

namespace Brigade.Benchmarks;

public static class BenchmarkEntry
{
    public static async Task Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "plaintext":
                await PlaintextPeer.RunAsync(args.Length > 1 ? args[1] : "http://127.0.0.1:5090");
                return;
            default:
                BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
                return;
        }
    }
}
