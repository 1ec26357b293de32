using BenchmarkDotNet.Running;

namespace Brigade.Benchmarks;

public static class BenchmarkEntry
{
    /// <summary>
    /// <c>plaintext URL</c> runs the Kestrel plaintext peer (see bench/http.sh);
    /// <c>redis-geo [options]</c> runs the GeoIndex vs Redis comparison (see bench/geo-vs-redis.sh);
    /// <c>eventlog [options]</c> loads the event log with concurrent committers (see bench/eventlog.sh);
    /// anything else goes to BenchmarkDotNet.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "plaintext":
                await PlaintextPeer.RunAsync(args.Length > 1 ? args[1] : "http://127.0.0.1:5090");
                return 0;
            case "redis-geo":
                return RedisGeoComparison.Run(args[1..]);
            case "eventlog":
                return await EventLogLoad.RunAsync(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
                return 0;
        }
    }
}
