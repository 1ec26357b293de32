using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Brigade.Mdrp;
using Spectre.Console;

namespace Brigade.Mdrp;

/// <summary>
/// <c>brigade mdrp DIR... --out OUT</c>: runs the online dispatcher over Meal Delivery Routing
/// Problem instances, writes each solution in the published format, checks it against every
/// rule and prints the metrics. Fails (exit code 1) if any solution is infeasible.
/// </summary>
public static class MdrpCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static Command Create()
    {
        var dirs = new Argument<string[]>("dirs")
        {
            Description = "Instance folders, or folders of instance folders.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out") { Description = "Output folder (one sub-folder per instance).", Required = true };
        var interval = Cli.BrigadeCli.WholeNumberOption("--interval", "Minutes between decision rounds.", () => 1);
        var parallel = Cli.BrigadeCli.WholeNumberOption("--parallel", "Instances solved at once (default: one per core).", () => Environment.ProcessorCount);
        var command = new Command("mdrp", "Solve Meal Delivery Routing Problem instances online and check the solutions.")
        {
            dirs, output, interval, parallel,
        };
        command.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var policy = MdrpPolicies.Default with { IntervalMinutes = pr.GetValue(interval) };
            return Task.FromResult(Run(pr.GetValue(dirs)!, pr.GetValue(output)!, policy, pr.GetValue(parallel), AnsiConsole.Console, ct));
        });
        return command;
    }

    public sealed record InstanceResult(string Name, MdrpMetrics Metrics, List<MdrpViolation> Violations, int Rounds, double Seconds);

    internal static int Run(IReadOnlyList<string> dirs, string outDir, MdrpPolicy policy, int parallelism, IAnsiConsole console, CancellationToken ct = default)
    {
        if (policy.IntervalMinutes < 1)
        {
            console.MarkupLineInterpolated($"[red]--interval must be at least 1 minute, not {policy.IntervalMinutes}[/]");
            return 2;
        }

        if (parallelism < 1)
        {
            console.MarkupLineInterpolated($"[red]--parallel must be at least 1, not {parallelism}[/]");
            return 2;
        }

        List<string> instances;
        try
        {
            instances = FindInstances(dirs);
        }
        catch (DirectoryNotFoundException e)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }

        if (instances.Count == 0)
        {
            console.MarkupLine("[red]No MDRP instance found (an instance folder holds orders.txt).[/]");
            return 2;
        }

        // Every instance is read before any is solved: a missing or malformed file is named at
        // once, with its instance, rather than failing the run halfway through.
        var loaded = new List<MdrpInstance>(instances.Count);
        foreach (var dir in instances)
        {
            try
            {
                loaded.Add(Load(dir));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                console.MarkupLineInterpolated($"[red]Instance {dir}: {e.Message}[/]");
                return 2;
            }
        }

        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]Cannot create the output folder {outDir}: {e.Message}[/]");
            return 2;
        }

        var results = new InstanceResult[loaded.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(
            0,
            loaded.Count,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            i => results[i] = SolveOne(loaded[i], outDir, policy));
        clock.Stop();

        Report(console, results, clock.Elapsed.TotalSeconds);
        WriteOverall(outDir, results, clock.Elapsed.TotalSeconds);
        var infeasible = results.Where(r => r.Violations.Count > 0).ToList();
        foreach (var r in infeasible)
        {
            console.MarkupLineInterpolated($"[red]INFEASIBLE {r.Name}: {r.Violations.Count} violation(s)[/]");
            foreach (var violation in r.Violations.Take(10))
            {
                console.MarkupLineInterpolated($"[red]  {violation.ToString()}[/]");
            }
        }

        return infeasible.Count == 0 ? 0 : 1;
    }

    /// <summary>A folder holding orders.txt is an instance; otherwise its sub-folders that do.</summary>
    internal static List<string> FindInstances(IEnumerable<string> dirs)
    {
        var found = new List<string>();
        foreach (var dir in dirs)
        {
            if (!Directory.Exists(dir))
            {
                throw new DirectoryNotFoundException($"No such folder: {dir}");
            }

            if (File.Exists(Path.Combine(dir, "orders.txt")))
            {
                found.Add(Path.GetFullPath(dir));
                continue;
            }

            found.AddRange(Directory.GetDirectories(dir)
                .Where(d => File.Exists(Path.Combine(d, "orders.txt")))
                .Select(Path.GetFullPath)
                .Order(StringComparer.Ordinal));
        }

        return found;
    }

    internal static MdrpInstance Load(string dir)
    {
        using var restaurants = File.OpenText(Path.Combine(dir, "restaurants.txt"));
        using var orders = File.OpenText(Path.Combine(dir, "orders.txt"));
        using var couriers = File.OpenText(Path.Combine(dir, "couriers.txt"));
        using var parameters = File.OpenText(Path.Combine(dir, "instance_parameters.txt"));
        return MdrpParser.Parse(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), restaurants, orders, couriers, parameters);
    }

    /// <summary>Solve, write, read back what was written, check it, and measure it.</summary>
    internal static InstanceResult SolveOne(MdrpInstance instance, string outRoot, MdrpPolicy policy)
    {
        var clock = Stopwatch.StartNew();
        var run = MdrpSimulation.Run(instance, policy);
        var target = Path.Combine(outRoot, instance.Name);
        Directory.CreateDirectory(target);
        var assignmentsPath = Path.Combine(target, MdrpSolutionFormat.AssignmentsFile);
        var ordersPath = Path.Combine(target, MdrpSolutionFormat.OrdersFile);
        var couriersPath = Path.Combine(target, MdrpSolutionFormat.CouriersFile);
        using (var a = new StreamWriter(assignmentsPath))
        using (var o = new StreamWriter(ordersPath))
        using (var c = new StreamWriter(couriersPath))
        {
            MdrpSolutionFormat.Write(run.Solution, a, o, c);
        }

        MdrpSolution written;
        using (var a = File.OpenText(assignmentsPath))
        using (var o = File.OpenText(ordersPath))
        using (var c = File.OpenText(couriersPath))
        {
            written = MdrpSolutionFormat.Read(a, o, c);
        }

        var violations = MdrpChecker.Check(instance, written);
        var metrics = MdrpMetrics.Compute(instance, written);
        clock.Stop();
        var result = new InstanceResult(instance.Name, metrics, violations, run.Rounds, clock.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(target, "summary.json"), JsonSerializer.Serialize(new
        {
            metrics,
            feasible = violations.Count == 0,
            violations = violations.Select(v => v.ToString()).ToList(),
            rounds = run.Rounds,
            interval_minutes = policy.IntervalMinutes,
        }, Json));
        return result;
    }

    private static void Report(IAnsiConsole console, InstanceResult[] results, double seconds)
    {
        if (Console.IsOutputRedirected)
        {
            // Not a terminal: Spectre would assume 80 columns and wrap every cell.
            console.Profile.Width = Math.Max(console.Profile.Width, 160);
        }

        var table = new Table().Border(TableBorder.Simple).Title("MDRP");
        foreach (var header in new[] { "instance", "orders", "undeliv %", "c2d", "c2d p90", "overage", "rdy→pick", "util", "$/order", "guar %", "ord/bndl", "floor", "ok" })
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }

        foreach (var r in results)
        {
            var m = r.Metrics;
            table.AddRow(
                m.Instance, m.Orders.ToString(), F(m.UndeliveredPercent), F(m.ClickToDoorMean), F(m.ClickToDoorP90), F(m.OverageMean),
                F(m.ReadyToPickupMean), F(m.CourierUtilization), F(m.CostPerOrder), F(100 * m.GuaranteeFraction), F(m.OrdersPerBundle),
                F(m.FloorClickToDoorMean), r.Violations.Count == 0 ? "yes" : "[red]NO[/]");
        }

        var all = results.Select(r => r.Metrics).ToList();
        table.AddEmptyRow();
        table.AddRow(
            $"mean of {all.Count}", F(all.Average(m => m.Orders)), F(all.Average(m => m.UndeliveredPercent)), F(all.Average(m => m.ClickToDoorMean)),
            F(all.Average(m => m.ClickToDoorP90)), F(all.Average(m => m.OverageMean)), F(all.Average(m => m.ReadyToPickupMean)),
            F(all.Average(m => m.CourierUtilization)), F(all.Average(m => m.CostPerOrder)), F(100 * all.Average(m => m.GuaranteeFraction)),
            F(all.Average(m => m.OrdersPerBundle)), F(all.Average(m => m.FloorClickToDoorMean)),
            results.All(r => r.Violations.Count == 0) ? "yes" : "[red]NO[/]");
        table.AddRow("published", "", "0.25", "32.74", "49.30", "", "1.93", "", "11.42", "", "1.09", "30.35", "");
        console.Write(table);
        console.MarkupLineInterpolated($"{results.Length} instances in {seconds:F1} s");
    }

    private static void WriteOverall(string outDir, InstanceResult[] results, double seconds)
    {
        var all = results.Select(r => r.Metrics).ToList();
        File.WriteAllText(Path.Combine(outDir, "overall.json"), JsonSerializer.Serialize(new
        {
            instances = all.Count,
            seconds,
            all_feasible = results.All(r => r.Violations.Count == 0),
            undelivered_percent = all.Average(m => m.UndeliveredPercent),
            click_to_door_mean = all.Average(m => m.ClickToDoorMean),
            click_to_door_p90 = all.Average(m => m.ClickToDoorP90),
            overage_mean = all.Average(m => m.OverageMean),
            ready_to_pickup_mean = all.Average(m => m.ReadyToPickupMean),
            courier_utilization = all.Average(m => m.CourierUtilization),
            cost_per_order = all.Average(m => m.CostPerOrder),
            guarantee_fraction = all.Average(m => m.GuaranteeFraction),
            orders_per_bundle = all.Average(m => m.OrdersPerBundle),
            floor_click_to_door_mean = all.Average(m => m.FloorClickToDoorMean),
            over_maximum_orders = all.Sum(m => m.OverMaximum),
        }, Json));
    }

    private static string F(double value) => value.ToString("F2");
}
