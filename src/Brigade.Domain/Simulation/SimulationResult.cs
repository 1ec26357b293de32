namespace Brigade.Simulation;

// What a run produces: every figure is derived from the engine's events (and a few cheap samples
// of queue lengths), all in virtual time, so the same seed gives the same result bit for bit.

/// <summary>A distribution in minutes.</summary>
public sealed record Stats(int Count, double Mean, double P50, double P90, double P95, double Max)
{
    public static readonly Stats Empty = new(0, 0, 0, 0, 0, 0);

    public static Stats Of(List<double> values)
    {
        if (values.Count == 0) return Empty;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double sum = 0;
        foreach (var v in sorted) sum += v;
        return new Stats(sorted.Length, sum / sorted.Length, Rank(sorted, 0.5), Rank(sorted, 0.9), Rank(sorted, 0.95), sorted[^1]);
    }

    // Nearest rank: the smallest value with at least p of the values at or below it.
    private static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <param name="Key">"outlet/station", or the station id pooled over every outlet in large scenarios.</param>
public sealed record StationSummary(string Key, int Tasks, Stats WaitMinutes, int QueueMax, double TargetWaitMinutes);

public sealed record SimulationSummary(
    int OrdersPlaced,
    int OrdersRefused,
    int Delivered,
    int Collected,
    int Cancelled,
    int Failed,
    int Unfinished,
    int Rerouted,
    Stats ClickToDoor,
    Stats ReadyToDoor,
    Stats ClickToReady,
    /// <summary>Share of orders ready no later than a minute after the estimate given when they were accepted.</summary>
    double ReadyOnTimeShare,
    double CourierHours,
    double CourierUtilisation,
    double ChefPaidHours,
    int ScaleOuts,
    int ScaleIns,
    int StandbyActivations,
    int PrepBatches,
    IReadOnlyList<StationSummary> Stations,
    IReadOnlyDictionary<string, int> RefusalReasons);

public sealed record StationSeries(string Key, IReadOnlyList<int> Queue, IReadOnlyList<double?> WaitMinutes);

/// <summary>Per sample interval from the start: orders placed, delivered, refused; couriers; station queues and waits.</summary>
public sealed record Timeline(
    double SampleMinutes,
    IReadOnlyList<int> Placed,
    IReadOnlyList<int> Delivered,
    IReadOnlyList<int> Refused,
    IReadOnlyList<int> CouriersOnShift,
    IReadOnlyList<double> CourierUtilisation,
    IReadOnlyList<StationSeries> Stations);

public sealed record Histogram(double BinMinutes, IReadOnlyList<int> Counts);

public sealed record IncidentMark(string Kind, string Label, DateTimeOffset At, DateTimeOffset? Until, IReadOnlyList<string> Notes);

public sealed record SimulationResult(
    string Scenario,
    string Variant,
    string Description,
    int Seed,
    DateTimeOffset Start,
    DateTimeOffset DemandEnd,
    DateTimeOffset End,
    long Events,
    SimulationSummary Summary,
    Timeline Timeline,
    Histogram ClickToDoor,
    Histogram ReadyToDoor,
    IReadOnlyList<IncidentMark> Incidents,
    IReadOnlyList<InvariantResult> Invariants,
    /// <summary>Scheduled commands the engine refused (a chef clocking in twice, …), so nothing is silently skipped.</summary>
    IReadOnlyList<string> Notes)
{
    public bool InvariantsHold => Invariants.All(i => i.Holds);

    /// <summary>The time zone of the scenario's times of day (an id such as "Europe/Berlin").</summary>
    public string TimeZone { get; init; } = "UTC";
}
