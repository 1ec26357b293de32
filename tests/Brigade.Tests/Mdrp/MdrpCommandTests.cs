using System.Text.Json;
using Brigade.Mdrp;
using Spectre.Console;

namespace Brigade.Tests.Mdrp;

public class MdrpCommandTests
{
    [Fact]
    public void Writes_the_three_solution_files_and_a_summary_per_instance()
    {
        var output = Path.Combine(Path.GetTempPath(), "brigade-mdrp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No });
            var code = MdrpCommand.Run([Path.Combine(MdrpData.Root, "0r50t75s2p100")], output, MdrpPolicies.Default, 1, console);

            Assert.Equal(0, code);
            var folder = Path.Combine(output, "0r50t75s2p100");
            foreach (var file in new[] { MdrpSolutionFormat.AssignmentsFile, MdrpSolutionFormat.OrdersFile, MdrpSolutionFormat.CouriersFile })
            {
                Assert.True(File.Exists(Path.Combine(folder, file)), file);
            }

            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
            Assert.True(summary.RootElement.GetProperty("feasible").GetBoolean());
            var metrics = summary.RootElement.GetProperty("metrics");
            foreach (var key in new[] { "undelivered_percent", "click_to_door_mean", "click_to_door_p90", "overage_mean", "ready_to_pickup_mean", "courier_utilization", "total_pay", "cost_per_order", "guarantee_fraction", "orders_per_bundle" })
            {
                Assert.True(metrics.TryGetProperty(key, out _), key);
            }

            Assert.Contains("0r50t75s2p100", text.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public void Takes_an_instance_folder_itself_or_every_instance_inside_a_folder()
    {
        var all = MdrpCommand.FindInstances([MdrpData.Root]);
        Assert.NotEmpty(all);
        Assert.All(all, dir => Assert.True(File.Exists(Path.Combine(dir, "orders.txt"))));
        Assert.Equal(Directory.GetDirectories(MdrpData.Root).Length, all.Count);
        Assert.Equal([all[0]], MdrpCommand.FindInstances([all[0]]));
    }

    [Fact]
    public void Fails_with_a_clear_code_when_a_folder_does_not_exist()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Ansi = AnsiSupport.No });
        Assert.Equal(2, MdrpCommand.Run(["no-such-folder-here"], Path.GetTempPath(), MdrpPolicies.Default, 1, console));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void An_interval_below_one_minute_is_refused_with_a_message_not_a_crash(int minutes)
    {
        var work = Directory.CreateTempSubdirectory("brigade-mdrp-").FullName;
        try
        {
            var instance = TinyInstance.WriteTo(Path.Combine(work, "tiny"));
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No });

            var code = MdrpCommand.Run([instance], Path.Combine(work, "out"), MdrpPolicies.Default with { IntervalMinutes = minutes }, 1, console);

            Assert.Equal(2, code);
            Assert.Contains($"--interval must be at least 1 minute, not {minutes}", text.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void A_parallelism_below_one_is_refused_with_a_message_not_silently_changed(int parallel)
    {
        var work = Directory.CreateTempSubdirectory("brigade-mdrp-").FullName;
        try
        {
            var instance = TinyInstance.WriteTo(Path.Combine(work, "tiny"));
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No });

            var code = MdrpCommand.Run([instance], Path.Combine(work, "out"), MdrpPolicies.Default, parallel, console);

            Assert.Equal(2, code);
            Assert.Contains($"--parallel must be at least 1, not {parallel}", text.ToString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(work, "out")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void An_output_folder_that_cannot_be_created_is_named_with_a_message_not_a_crash()
    {
        var work = Directory.CreateTempSubdirectory("brigade-mdrp-").FullName;
        try
        {
            var instance = TinyInstance.WriteTo(Path.Combine(work, "tiny"));
            var blocker = Path.Combine(work, "a-file");
            File.WriteAllText(blocker, "not a folder");
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });

            var code = MdrpCommand.Run([instance], Path.Combine(blocker, "out"), MdrpPolicies.Default, 1, console);

            Assert.Equal(2, code);
            Assert.Contains("Cannot create the output folder", text.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

public class MdrpCommandBadInstanceTests
{
    private static (int Code, string Text) RunOn(Action<string> spoil)
    {
        var work = Directory.CreateTempSubdirectory("brigade-mdrp-").FullName;
        try
        {
            var instance = TinyInstance.WriteTo(Path.Combine(work, "tiny"));
            spoil(instance);
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
            console.Profile.Width = 500; // one message a line, however long the temporary path
            var code = MdrpCommand.Run([instance], Path.Combine(work, "out"), MdrpPolicies.Default, 1, console);
            return (code, text.ToString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void An_instance_folder_missing_one_of_its_files_is_named_with_code_2_not_a_crash()
    {
        var (code, text) = RunOn(dir => File.Delete(Path.Combine(dir, "couriers.txt")));

        Assert.Equal(2, code);
        Assert.Contains("tiny", text, StringComparison.Ordinal);
        Assert.Contains("couriers.txt", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_instance_file_is_named_with_its_line_and_code_2_not_a_crash()
    {
        var (code, text) = RunOn(dir => File.WriteAllText(
            Path.Combine(dir, "orders.txt"),
            "order\tx\ty\tplacement_time\trestaurant\tready_time\no1\t0\t600\tsoon\tr1\t10\n"));

        Assert.Equal(2, code);
        Assert.Contains("orders.txt line 2", text, StringComparison.Ordinal);
        Assert.Contains("'soon' is not a number", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_courier_who_goes_off_before_coming_on_is_named_with_its_line_and_code_2()
    {
        var (code, text) = RunOn(dir => File.WriteAllText(
            Path.Combine(dir, "couriers.txt"),
            TinyInstance.Couriers.Replace("c2\t1000\t300\t0\t100", "c2\t1000\t300\t60\t30", StringComparison.Ordinal)));

        Assert.Equal(2, code);
        Assert.Contains("couriers.txt line 3", text, StringComparison.Ordinal);
        Assert.Contains("goes off at 30 before coming on at 60", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-320")]
    public void A_speed_that_is_not_positive_is_refused_with_code_2_not_a_crash(string metersPerMinute)
    {
        var (code, text) = RunOn(dir => File.WriteAllText(
            Path.Combine(dir, "instance_parameters.txt"),
            TinyInstance.Parameters.Replace("\n100\t", $"\n{metersPerMinute}\t", StringComparison.Ordinal)));

        Assert.Equal(2, code);
        Assert.Contains("instance_parameters.txt", text, StringComparison.Ordinal);
        Assert.Contains("meters per minute", text, StringComparison.Ordinal);
    }
}
