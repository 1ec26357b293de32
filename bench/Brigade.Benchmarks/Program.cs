using BenchmarkDotNet.Running;

namespace Brigade.Benchmarks;

public static class BenchmarkEntry
{
    /// <summary>
    /// <c>redis-geo [options]</c> runs the GeoIndex vs Redis comparison (see bench/geo-vs-redis.sh);
    /// anything else goes to BenchmarkDotNet.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "redis-geo")
            return RedisGeoComparison.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntry).Assembly).Run(args);
        return 0;
    }
}
