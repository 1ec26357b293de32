using System.Net;
using System.Net.Sockets;
using Brigade.Tests.Support;

namespace Brigade.Tests.Api;

/// <summary><c>brigade serve</c> with settings it cannot use: a message that says which, exit code 2, no stack trace.</summary>
public class ServeCommandTests
{
    [Theory]
    [InlineData("notaurl", "'notaurl' is not an address to listen on")]
    [InlineData("http://127.0.0.1:99999", "'http://127.0.0.1:99999' has port 99999")]
    [InlineData("ftp://127.0.0.1:2121", "'ftp://127.0.0.1:2121' is not an http:// or https:// address")]
    [InlineData("http://127.0.0.1:5080/shop", "'http://127.0.0.1:5080/shop' has a path ('/shop')")]
    [InlineData("http://256.1.1.1:5080", "'http://256.1.1.1:5080' has host '256.1.1.1', which is not an IP address")]
    [InlineData("http://127.0.0:5080", "'http://127.0.0:5080' has host '127.0.0', which is not an IP address")]
    public async Task Serve_with_a_listen_address_it_cannot_use_says_which_and_exits_without_a_stack_trace(string url, string says)
    {
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--urls", url, "--data-dir", dir);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: urls: " + says, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--time-scale abc", "--time-scale must be a number, not 'abc'")]
    [InlineData("--demo-rate lots", "--demo-rate must be a number, not 'lots'")]
    [InlineData("--time-scal 600", "Unrecognized command or argument '--time-scal'")]
    [InlineData("--verbose", "Unrecognized command or argument '--verbose'")]
    // Written the way configuration keys are, it is still a mistyped option, not a setting.
    [InlineData("--time-scal:600", "Unrecognized command or argument '--time-scal:600'")]
    [InlineData("--Brigade:Limits:Burst", "--Brigade:Limits:Burst needs a value")]
    [InlineData("--Brigade:Limits:Burst=5 --verbose", "Unrecognized command or argument '--verbose'")]
    public async Task Serve_with_a_command_line_it_cannot_read_names_the_mistake_and_exits_with_code_2(string arguments, string says)
    {
        using var dir = new TempDir("serve");
        var (code, output, error) = await RunAsync(["serve", "--data-dir", dir, .. arguments.Split(' ')]);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: " + says, error, StringComparison.Ordinal);
        Assert.Contains("brigade serve --help", error, StringComparison.Ordinal);
        // One message, not the whole help text, and no type names.
        Assert.DoesNotContain("Usage:", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Configuration_keys_on_the_command_line_take_effect_over_the_environment_as_in_any_ASP_NET_Core_app()
    {
        using var dir = new TempDir("serve");
        // The environment the server is started with allows 100000 requests a second; both forms of a key say 2 at most.
        await using var server = await ServerProcess.StartAsync(dir, "--Brigade:Limits:Burst", "2", "--Brigade:Limits:RequestsPerSecond=0.01");
        using var client = server.Client();

        for (var i = 0; i < 2; i++)
        {
            using var ok = await client.GetAsync("/api/restaurants");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var refused = await client.GetAsync("/api/restaurants");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        await server.StopAsync();
    }

    [Fact]
    public async Task A_configuration_key_on_the_command_line_with_a_value_that_cannot_work_is_named_and_exits_with_code_2()
    {
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--data-dir", dir, "--Brigade:Limits:Burst=0");

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: Brigade:Limits:Burst must be at least 1, not 0", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelt_configuration_key_on_the_command_line_is_named_with_the_one_meant_and_exits_with_code_2()
    {
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--data-dir", dir, "--Brigade:TimeScael=5");

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: Brigade:TimeScael is not a setting; did you mean Brigade:TimeScale?", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task A_misspelt_setting_in_the_environment_is_named_with_the_one_meant_and_exits_with_code_2()
    {
        using var dir = new TempDir("serve");
        var (code, _, error) = await Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), "serve", "--data-dir", dir],
            new Dictionary<string, string> { ["Brigade__Catalgo"] = "menu.json" });

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: Brigade:Catalgo is not a setting; did you mean Brigade:Catalog?", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Serve_help_shows_the_configuration_keys_it_takes_rather_than_arguments_for_another_application()
    {
        var (code, output, _) = await RunAsync("serve", "--help");

        Assert.Equal(0, code);
        Assert.Contains("brigade serve [<--Section:Key=VALUE>...] [options]", output, StringComparison.Ordinal);
        Assert.Contains("--Brigade:Limits:Burst=50", output, StringComparison.Ordinal);
        Assert.DoesNotContain("additional arguments", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_mistyped_option_is_answered_with_the_option_it_most_likely_meant()
    {
        var (code, _, error) = await RunAsync(["serve", "--time-scal", "600"]);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: did you mean --time-scale rather than --time-scal?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Brigade_without_a_verb_shows_the_verbs_and_exits_with_code_2()
    {
        var (code, output, _) = await RunAsync([]);

        Assert.Equal(2, code);
        Assert.Contains("serve", output, StringComparison.Ordinal);
        Assert.Contains("simulate", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_on_an_address_this_machine_does_not_have_says_so_and_exits_without_a_stack_trace()
    {
        // 192.0.2.1 is reserved for documentation (RFC 5737): no machine has it.
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--urls", "http://192.0.2.1:5080", "--data-dir", dir);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: cannot listen on http://192.0.2.1:5080: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_on_https_without_a_certificate_says_so_and_exits_without_a_stack_trace()
    {
        // A home directory of its own: no development certificate to fall back on.
        using var dir = new TempDir("serve");
        using var home = new TempDir("serve-home");
        Directory.CreateDirectory(home);
        var url = $"https://127.0.0.1:{ServerProcess.FreePort()}";
        var (code, _, error) = await Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), "serve", "--urls", url, "--data-dir", dir],
            new Dictionary<string, string> { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home });

        Assert.Equal(2, code);
        Assert.Contains($"brigade serve: cannot listen on {url}: Unable to configure HTTPS endpoint. No server certificate was specified", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_without_urls_listens_on_the_port_that_ASPNETCORE_HTTP_PORTS_names_as_container_images_set_it()
    {
        using var dir = new TempDir("serve");
        var port = ServerProcess.FreePort();
        // Ready within the start-up wait only if it listens on that port (the default would be 5080 on loopback).
        await using var server = await ServerProcess.StartAsync(dir, port, [], new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        using var client = server.Client();
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await server.StopAsync();
    }

    [Fact]
    public async Task Serve_on_an_address_already_in_use_says_so_and_exits_without_a_stack_trace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dir);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: ", error, StringComparison.Ordinal);
        Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_data_directory_it_cannot_create_names_it_and_exits_without_a_stack_trace()
    {
        var file = Path.Combine(Path.GetTempPath(), "brigade-not-a-dir-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "a file, not a directory");
        try
        {
            var dir = Path.Combine(file, "data");
            var (code, _, error) = await RunAsync("serve", "--data-dir", dir);

            Assert.Equal(2, code);
            Assert.Contains($"brigade serve: cannot create the data directory '{dir}'", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Serve_with_an_empty_data_directory_says_so_and_exits_without_a_stack_trace(string dir)
    {
        var (code, _, error) = await RunAsync("serve", "--data-dir", dir);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: Brigade:DataDir must name a directory", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("Host=db;Password=s3cret;Colour=blue")]
    public async Task Serve_with_a_postgres_connection_string_it_cannot_read_says_so_and_exits_without_a_stack_trace(string connection)
    {
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--data-dir", dir, "--store", "postgres", "--postgres", connection);

        Assert.Equal(2, code);
        Assert.Contains("brigade serve: Brigade:Postgres is not a PostgreSQL connection string", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_on_a_postgres_server_it_cannot_reach_names_it_and_exits_without_a_stack_trace()
    {
        // A port nothing listens on: taken, then released.
        var port = ServerProcess.FreePort();
        using var dir = new TempDir("serve");
        var (code, _, error) = await RunAsync("serve", "--data-dir", dir, "--store", "postgres",
            "--postgres", $"Host=127.0.0.1;Port={port};Username=brigade;Password=s3cret;Database=orders;Timeout=5");

        Assert.Equal(2, code);
        Assert.Contains($"brigade serve: cannot open the event log on PostgreSQL (database 'orders' on 127.0.0.1:{port})", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), .. args]);
}
