using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Brigade.Catalog;
using Spectre.Console;

namespace Brigade.Simulation;

/// <summary>
/// <c>brigade simulate SCENARIO [--compare VARIANT...]</c>: runs whole days through the engine in
/// virtual time and writes an HTML report and a JSON file of every metric. Exit code 1 when an
/// invariant broke, 2 when the scenario is invalid.
/// </summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var scenario = new Argument<string>("scenario")
        {
            Description = $"A built-in scenario ({string.Join(", ", ScenarioLoader.BuiltIns)}) or a scenario file (JSON).",
        };
        var seed = Cli.BrigadeCli.WholeNumberOption("--seed", "Random seed (default: the scenario's). The same seed gives the same result.");
        var variant = new Option<string?>("--variant") { Description = "Run one named variant of the scenario instead of its baseline." };
        var compare = new Option<string[]>("--compare")
        {
            Description = "Run several variants on the same seed and report them side by side (\"baseline\" is the scenario as written).",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string?>("--out") { Description = "Folder for report.html and metrics.json (default: simulations/<scenario>)." };
        var list = new Option<bool>("--list-variants") { Description = "List the scenario's variants and exit." };
        var command = new Command("simulate", "Simulate a day through the real engine in virtual time, with a report.")
        {
            scenario, seed, variant, compare, output, list,
        };
        command.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            // Names apart or joined by commas: --compare a b, --compare a,b.
            var compared = (pr.GetValue(compare) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            var variants = compared is { Length: > 0 } c ? c : [pr.GetValue(variant) ?? ScenarioCompiler.Baseline];
            return Task.FromResult(Run(pr.GetValue(scenario)!, variants, pr.GetValue(seed), pr.GetValue(output), pr.GetValue(list), AnsiConsole.Console, ct));
        });
        return command;
    }

    internal static int Run(string scenarioName, IReadOnlyList<string> variants, int? seed, string? outDir, bool listVariants, IAnsiConsole console, CancellationToken ct = default)
    {
        ScenarioLoader.Loaded loaded;
        var compiled = new List<Scenario>();
        try
        {
            loaded = ScenarioLoader.Load(scenarioName);
            if (seed is { } s) loaded.Document.Seed = s;
            if (listVariants)
            {
                console.MarkupLineInterpolated($"[bold]{loaded.Document.Name}[/]: {loaded.Document.Description}");
                console.MarkupLineInterpolated($"  [green]{ScenarioCompiler.Baseline}[/]: the scenario as written");
                foreach (var (name, v) in loaded.Document.Variants ?? [])
                    console.MarkupLineInterpolated($"  [green]{name}[/]: {v.Description ?? ""}");
                return 0;
            }
            foreach (var v in variants.Distinct(StringComparer.Ordinal))
                compiled.Add(ScenarioCompiler.Compile(loaded.Document, loaded.Catalogs, v));
        }
        catch (ScenarioException e)
        {
            foreach (var p in e.Problems) console.MarkupLineInterpolated($"[red]{p}[/]");
            return 2;
        }
        catch (CatalogException e)
        {
            foreach (var p in e.Problems) console.MarkupLineInterpolated($"[red]{p}[/]");
            return 2;
        }

        // The output folder first: a day's simulation is not run only to find it has nowhere to go.
        var dir = outDir ?? DefaultOutputFolder(loaded.Document.Name);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]Cannot create the output folder {dir}: {e.Message}[/]");
            return 2;
        }

        var results = new List<SimulationResult>();
        var wall = new List<double>();
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = compiled.Select(c => ctx.AddTask($"{c.Name} · {c.Variant}", autoStart: false, maxValue: 1)).ToList();
                for (var i = 0; i < compiled.Count; i++)
                {
                    var task = tasks[i];
                    task.StartTask();
                    var clock = Stopwatch.StartNew();
                    results.Add(new Simulator(compiled[i]).Run(new Progress(task), ct));
                    wall.Add(clock.Elapsed.TotalSeconds);
                    task.Value = 1;
                    task.StopTask();
                }
            });

        var file = new SimulationReportFile(loaded.Document.Name ?? "scenario", compiled[0].Seed, results);
        var jsonPath = Path.Combine(dir, "metrics.json");
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(file, SimulationResultJsonContext.Default.SimulationReportFile));
        var htmlPath = Path.Combine(dir, "report.html");
        File.WriteAllText(htmlPath, SimulationReport.Html(file));

        // Side by side needs room: when the output is not a terminal that reports its width, make some.
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 50 + 16 * results.Count);
        console.Write(SummaryTable(results, wall));
        var broken = false;
        foreach (var r in results)
            foreach (var inv in r.Invariants)
            {
                if (inv.Holds) continue;
                broken = true;
                console.MarkupLineInterpolated($"[red]{r.Variant}: invariant broken {inv.Violations} time(s): {inv.Name}[/]");
                foreach (var ex in inv.Examples.Take(5)) console.MarkupLineInterpolated($"[red]  {ex}[/]");
            }
        foreach (var r in results)
            foreach (var note in r.Notes.Take(5)) console.MarkupLineInterpolated($"[yellow]{r.Variant}: refused by the engine: {note}[/]");
        if (!broken) console.MarkupLine("[green]Invariants hold:[/] every order reached a terminal state once; no courier double-booked; no equipment over capacity.");
        console.MarkupLineInterpolated($"Report: [link]{htmlPath}[/]   Metrics: [link]{jsonPath}[/]");
        return broken ? 1 : 0;
    }

    /// <summary>simulations/NAME, NAME being the scenario's name: never nothing, never a path.</summary>
    internal static string DefaultOutputFolder(string? name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string((name ?? "").Select(c => c is '/' or '\\' || invalid.Contains(c) ? '-' : c).ToArray()).Trim('-', '.', ' ');
        return Path.Combine("simulations", safe.Length == 0 ? "scenario" : safe);
    }

    private sealed class Progress(ProgressTask task) : IProgress<double>
    {
        public void Report(double value) => task.Value = value;
    }

    private static Table SummaryTable(List<SimulationResult> results, List<double> wall)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(results[0].Scenario + $" (seed {results[0].Seed})");
        table.AddColumn("metric");
        foreach (var r in results) table.AddColumn(new TableColumn(r.Variant).RightAligned());
        void Row(string name, Func<SimulationResult, string> value) => table.AddRow([name, .. results.Select(value)]);
        static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

        Row("orders placed", r => r.Summary.OrdersPlaced.ToString(CultureInfo.InvariantCulture));
        Row("refused (backpressure, closed)", r => r.Summary.OrdersRefused.ToString(CultureInfo.InvariantCulture));
        Row("delivered / collected", r => $"{r.Summary.Delivered} / {r.Summary.Collected}");
        Row("failed / cancelled / unfinished", r => $"{r.Summary.Failed} / {r.Summary.Cancelled} / {r.Summary.Unfinished}");
        Row("moved to another outlet", r => r.Summary.Rerouted.ToString(CultureInfo.InvariantCulture));
        Row("click-to-door mean (min)", r => F(r.Summary.ClickToDoor.Mean));
        Row("click-to-door p90 (min)", r => F(r.Summary.ClickToDoor.P90));
        Row("ready-to-door mean (min)", r => F(r.Summary.ReadyToDoor.Mean));
        Row("click-to-ready mean (min)", r => F(r.Summary.ClickToReady.Mean));
        Row("ready on time (≤ 1 min after first estimate)", r => F(r.Summary.ReadyOnTimeShare * 100, "0") + " %");
        foreach (var key in results[0].Summary.Stations.Select(s => s.Key).Take(8))
        {
            Row($"{key} wait mean / p90 (min)", r => r.Summary.Stations.FirstOrDefault(s => s.Key == key) is { } st ? $"{F(st.WaitMinutes.Mean)} / {F(st.WaitMinutes.P90)}" : "–");
            Row($"{key} longest queue", r => r.Summary.Stations.FirstOrDefault(s => s.Key == key)?.QueueMax.ToString(CultureInfo.InvariantCulture) ?? "–");
        }
        Row("courier utilisation", r => F(r.Summary.CourierUtilisation * 100, "0") + " %");
        Row("courier hours", r => F(r.Summary.CourierHours));
        Row("chef paid hours", r => F(r.Summary.ChefPaidHours));
        Row("scale-outs / standby calls / prep batches", r => $"{r.Summary.ScaleOuts} / {r.Summary.StandbyActivations} / {r.Summary.PrepBatches}");
        Row("invariants", r => r.InvariantsHold ? "hold" : "BROKEN");
        Row("events", r => r.Events.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow(["wall time (s)", .. wall.Select(w => F(w, "0.00"))]);
        return table;
    }
}
