using BenchmarkDotNet.Attributes;
using Brigade.Simulation;

namespace Brigade.Benchmarks;

/// <summary>
/// The simulator's scale target: a whole synthetic city day (250 outlets, 400 couriers, about
/// 3,000 orders) through the real engine in virtual time, one core. Compiling the scenario is
/// outside the measurement; building the engine and running the day are inside.
/// </summary>
[MemoryDiagnoser]
public class SimulatorBenchmarks
{
    private Scenario _scenario = null!;

    [GlobalSetup]
    public void Setup() => _scenario = ScenarioCompiler.Compile(SyntheticCity.Scenario(), _ => SyntheticCity.Catalog());

    [Benchmark(Description = "city-day: 250 outlets, 400 couriers, ~3,000 orders")]
    public SimulationResult CityDay() => new Simulator(_scenario).Run();
}
