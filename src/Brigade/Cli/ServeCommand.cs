using System.CommandLine;
using System.Globalization;
using Brigade.Catalog;
using Brigade.Hosting;
using Brigade.Storage.Postgres;

namespace Brigade.Cli;

/// <summary><c>brigade serve</c>: the server, on the embedded store by default.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = $"Where to listen (default {BrigadeOptions.DefaultUrls})" };
        var dataDir = new Option<string>("--data-dir") { Description = "Where data is kept; created if missing (default ./data)" };
        var catalog = new Option<string>("--catalog") { Description = "Catalog file (JSON); default: the built-in demo catalog" };
        var timeScale = BrigadeCli.NumberOption("--time-scale", $"The kitchen clock runs N times real time; 600 makes a 10-minute pizza take 1 second (default 1; {BrigadeOptions.DemoTimeScale} with --demo)");
        var demo = new Option<bool>("--demo") { Description = "Demo mode: synthetic customers place orders, simulated couriers deliver them; the clock runs fast unless --time-scale is given" };
        var demoRate = BrigadeCli.NumberOption("--demo-rate", "With --demo: orders per hour of kitchen time (default 30)");
        var store = new Option<string>("--store") { Description = "The event log: sqlite (embedded, in the data directory; default) or postgres" };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string for --store postgres, e.g. \"Host=db;Username=brigade;Password=...;Database=brigade\"" };
        var rabbitMq = new Option<string>("--rabbitmq") { Description = "Relay every event to RabbitMQ (exchange brigade.events), e.g. amqp://user:pass@host:5672/" };

        // Configuration keys (--Brigade:Limits:Burst=50) go to this argument and are read by ConfigurationArguments;
        // BrigadeCli.RunAsync refuses any other word it takes.
        var keys = ConfigurationArguments.Create();

        var command = new Command("serve", "Run the Brigade server.") { urls, dataDir, catalog, timeScale, store, postgres, rabbitMq, demo, demoRate, keys };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var configuration = ConfigurationArguments.Read(command, ConfigurationArguments.Tokens(parse));
            if (configuration.Problems.Count > 0) return Fail(configuration.Problems[0]);
            var settings = new Dictionary<string, string?>();
            if (parse.GetValue(urls) is { } u) settings["urls"] = u;
            if (parse.GetValue(dataDir) is { } d) settings[$"{BrigadeOptions.Section}:DataDir"] = d;
            if (parse.GetValue(catalog) is { } c) settings[$"{BrigadeOptions.Section}:Catalog"] = c;
            if (parse.GetValue(store) is { } s) settings[$"{BrigadeOptions.Section}:Store"] = s;
            if (parse.GetValue(postgres) is { } pg) settings[$"{BrigadeOptions.Section}:Postgres"] = pg;
            if (parse.GetValue(rabbitMq) is { } mq) settings[$"{BrigadeOptions.Section}:RabbitMq"] = mq;
            if (parse.GetValue(demo)) settings[$"{BrigadeOptions.Section}:Demo"] = "true";
            if (parse.GetValue(demoRate) is { } rate)
            {
                if (!(rate > 0 && rate <= 100_000)) return Fail("--demo-rate must be a number of orders per hour, above 0 and at most 100000");
                settings[$"{BrigadeOptions.Section}:DemoTraffic:OrdersPerHour"] = rate.ToString(CultureInfo.InvariantCulture);
            }
            if (parse.GetValue(timeScale) is { } t)
            {
                if (!(t > 0)) return Fail("--time-scale must be a positive number");
                settings[$"{BrigadeOptions.Section}:TimeScale"] = t.ToString(CultureInfo.InvariantCulture);
            }
            var listenOn = BrigadeOptions.DefaultUrls;
            try
            {
                // As command-line arguments of the host: over appsettings and the environment, under the options above.
                var app = BrigadeServer.Build(settings, args: [.. configuration.Arguments]);
                listenOn = app.Configuration["urls"] ?? (app.Configuration["http_ports"] ?? app.Configuration["https_ports"]) switch
                {
                    { } ports => $"port {ports}",
                    null => listenOn,
                };
                await app.RunAsync(ct);
                return 0;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException || (e is InvalidOperationException && FromKestrel(e)))
            {
                // Kestrel could not listen where it was told to: an address this machine does not have,
                // https without a certificate. Its own message says which; the first line is the point.
                return Fail($"cannot listen on {listenOn}: {e.Message.Split('\n')[0].TrimEnd()}");
            }
            catch (CatalogException e)
            {
                return Fail(e.Message);
            }
            catch (SettingsException e)
            {
                return Fail(e.Message);
            }
            catch (EngineOwnedException e)
            {
                return Fail(e.Message);
            }
            catch (PostgresUnavailableException e)
            {
                return Fail(e.Message);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("data directory", StringComparison.Ordinal))
            {
                return Fail(e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Kestrel could not bind (the address is in use), or a file could not be read or written.
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static bool FromKestrel(Exception e) =>
        e.TargetSite?.DeclaringType?.Assembly.GetName().Name?.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true;

    private static int Fail(string message)
    {
        Console.Error.WriteLine("brigade serve: " + message);
        return 2;
    }
}
