using System.Text.Json;
using Brigade.Cli;
using Brigade.Simulation;
using Brigade.Tests.Support;
using Spectre.Console;

namespace Brigade.Tests.Simulation;

public class SimulateCommandTests
{
    private static (int Code, string Text) Run(string scenario, string[] variants, string output)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var code = SimulateCommand.Run(scenario, variants, seed: null, output, listVariants: false, console);
        return (code, text.ToString());
    }

    [Fact]
    public void Compare_runs_variants_on_one_seed_and_writes_a_self_contained_report_and_every_metric()
    {
        var output = Directory.CreateTempSubdirectory("brigade-sim-").FullName;
        try
        {
            var (code, text) = Run("coffee-morning", ["baseline", "second-machine", "extra-barista"], output);

            Assert.Equal(0, code);
            Assert.Contains("second-machine", text, StringComparison.Ordinal);
            Assert.Contains("Invariants hold", text, StringComparison.Ordinal);

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
            var variants = json.RootElement.GetProperty("variants");
            Assert.Equal(["baseline", "second-machine", "extra-barista"], variants.EnumerateArray().Select(v => v.GetProperty("variant").GetString()));
            Assert.All(variants.EnumerateArray(), v =>
            {
                Assert.Equal(11, v.GetProperty("seed").GetInt32());
                Assert.True(v.GetProperty("summary").GetProperty("ordersPlaced").GetInt32() > 100);
                Assert.True(v.GetProperty("timeline").GetProperty("placed").GetArrayLength() > 200);
            });

            var html = File.ReadAllText(Path.Combine(output, "report.html"));
            Assert.Contains("<svg", html, StringComparison.Ordinal);
            Assert.Contains("Orders per minute", html, StringComparison.Ordinal);
            Assert.Contains("espresso-machine #0 broken", html, StringComparison.Ordinal); // the incident, marked on the timelines
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
            Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Theory]
    [InlineData("simulate pizza-rush --seed 99999999999999999999", "brigade simulate: --seed must be a whole number from -2147483648 to 2147483647, not '99999999999999999999'")]
    [InlineData("simulate pizza-rush --seed 1.5", "brigade simulate: --seed must be a whole number")]
    [InlineData("mdrp . --out x --interval abc", "brigade mdrp: --interval must be a whole number from -2147483648 to 2147483647, not 'abc'")]
    [InlineData("mdrp . --out x --parallel 1e5", "brigade mdrp: --parallel must be a whole number")]
    public async Task A_number_the_command_cannot_read_is_named_without_a_type_name(string arguments, string says)
    {
        var (code, output, error) = await Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), .. arguments.Split(' ')]);

        Assert.Equal(2, code);
        Assert.Contains(says, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Variants_to_compare_may_be_joined_by_commas()
    {
        var output = Directory.CreateTempSubdirectory("brigade-sim-").FullName;
        try
        {
            var code = BrigadeCli.Build().Parse(["simulate", "coffee-morning", "--compare", "baseline,extra-barista", "--out", output]).Invoke();

            Assert.Equal(0, code);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
            Assert.Equal(["baseline", "extra-barista"], json.RootElement.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("variant").GetString()));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_scenario_fails_with_code_2_and_says_what_exists()
    {
        var (code, text) = Run("friday-night", ["baseline"], Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Contains("pizza-rush", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_folder_that_cannot_be_created_is_named_with_a_message_not_a_crash()
    {
        var blocker = Path.Combine(Path.GetTempPath(), "brigade-sim-file-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(blocker, "not a folder");
        try
        {
            var (code, text) = Run("coffee-morning", ["baseline"], Path.Combine(blocker, "out"));

            Assert.Equal(2, code);
            Assert.Contains("Cannot create the output folder", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }
}

public class SimulationReportTimeTests
{
    [Fact]
    public void On_the_night_clocks_go_forward_the_report_gives_incidents_and_the_end_in_local_time()
    {
        // Berlin, 29 March 2026: at 02:00 the clocks jump to 03:00 (UTC+1 to UTC+2).
        var loaded = ScenarioLoader.Load("pizza-rush");
        var doc = loaded.Document with { Date = "2026-03-29", From = "00:00", To = "04:00", DrainHours = 0, Couriers = [], ChefShifts = [] };
        doc.Demand = doc.Demand! with { Curve = [new RatePointDocument { At = "00:00", OrdersPerHour = 2 }, new RatePointDocument { At = "04:00", OrdersPerHour = 2 }] };
        doc.Incidents = [new IncidentDocument { Kind = "powerOut", Outlet = "pizza-south", At = "03:30", Until = "03:50" }];
        var scenario = ScenarioCompiler.Compile(doc, loaded.Catalogs);

        var result = new Simulator(scenario).Run();
        var html = SimulationReport.Html(new SimulationReportFile(result.Scenario, result.Seed, [result]));

        Assert.Contains("03:30–03:50 power out at pizza-south", html, StringComparison.Ordinal);
        Assert.Contains("to " + scenario.TimeOfDay(result.End) + ".", html, StringComparison.Ordinal);
        Assert.Contains(">03:00</text>", html, StringComparison.Ordinal); // the axis skips the hour that never was
        Assert.DoesNotContain(">02:00</text>", html, StringComparison.Ordinal);
    }
}

public class SimulateDefaultOutputTests
{
    [Theory]
    [InlineData("pizza-rush", "pizza-rush")]
    [InlineData("/etc", "etc")]
    [InlineData("../../elsewhere", "elsewhere")]
    [InlineData("friday/night", "friday-night")]
    [InlineData("..", "scenario")]
    [InlineData(null, "scenario")]
    public void The_default_output_folder_stays_inside_simulations_whatever_the_scenario_is_called(string? name, string expected) =>
        Assert.Equal(Path.Combine("simulations", expected), SimulateCommand.DefaultOutputFolder(name));
}
