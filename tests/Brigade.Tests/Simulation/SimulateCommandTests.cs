using System.Text.Json;
using Brigade.Simulation;
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
