using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Brigade.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Brigade.Tests.Support;

/// <summary>
/// The real server composition (BrigadeServer.Build) on a temporary SQLite data directory, served
/// in memory by TestServer. Restart keeps the data directory, like restarting the process.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _ownsDir;
    private readonly Action<IServiceCollection>? _services;

    private TestApp(string dataDir, Dictionary<string, string?> settings, bool ownsDir, Action<IServiceCollection>? services)
    {
        DataDir = dataDir;
        _settings = settings;
        _ownsDir = ownsDir;
        _services = services;
    }

    public string DataDir { get; }
    public WebApplication App { get; private set; } = null!;

    /// <summary>An administrator's client: may do everything, so tests of features need not care who they are.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>A client with no token.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>A token signed with this server's key.</summary>
    public string Token(string role, string subject, string? outletId = null) =>
        Service<Brigade.Auth.TokenService>().Issue(role, subject, outletId, TimeSpan.FromHours(1));

    /// <summary>A client that sends a token for this caller.</summary>
    public HttpClient ClientAs(string role, string subject, string? outletId = null)
    {
        var client = App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, subject, outletId));
        return client;
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="services">Last changes to the server's services (a clock of the test's own, say).</param>
    public static async Task<TestApp> StartAsync(double timeScale = 1, string? catalogJson = null, string? dataDir = null, IDictionary<string, string?>? extra = null,
        Action<IServiceCollection>? services = null)
    {
        var ownsDir = dataDir is null;
        dataDir ??= Path.Combine(Path.GetTempPath(), "brigade-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var settings = new Dictionary<string, string?>
        {
            ["Brigade:DataDir"] = dataDir,
            ["Brigade:TimeScale"] = timeScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Feature tests hammer the API from one client; the limits have their own tests.
            ["Brigade:Limits:RequestsPerSecond"] = "100000",
            ["Brigade:Limits:Burst"] = "100000",
            ["Brigade:Limits:CourierLocationsPerSecond"] = "100000",
            ["Brigade:Limits:CourierLocationBurst"] = "100000",
        };
        if (catalogJson is not null)
        {
            var path = Path.Combine(dataDir, "catalog.json");
            await File.WriteAllTextAsync(path, catalogJson);
            settings["Brigade:Catalog"] = path;
        }
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        var app = new TestApp(dataDir, settings, ownsDir, services);
        try
        {
            await app.BootAsync();
        }
        catch
        {
            // A server that refuses to start (the tests of bad settings) leaves no data directory behind.
            if (app.App is not null) await app.App.DisposeAsync();
            if (ownsDir) Directory.Delete(dataDir, recursive: true);
            throw;
        }
        return app;
    }

    private async Task BootAsync()
    {
        App = BrigadeServer.Build(_settings, b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            _services?.Invoke(b.Services);
        });
        await App.StartAsync();
        Client = ClientAs("admin", "test-admin");
        Anonymous = App.GetTestClient();
    }

    /// <summary>Stop the server and start a new one on the same data directory.</summary>
    public async Task RestartAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await BootAsync();
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> PostOrderAsync(string body, string? key = "k-" + "default") => PostOrderAsync(Client, body, key);

    /// <summary>POST /api/orders as the caller <paramref name="client"/> stands for.</summary>
    public static Task<HttpResponseMessage> PostOrderAsync(HttpClient client, string body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = Json(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    public async Task<JsonElement> PlaceAsync(string body, string? key = null)
    {
        var pending = PostOrderAsync(body, key ?? Guid.NewGuid().ToString());
        if (await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(30))) != pending) Assert.Fail("POST /api/orders did not answer within 30 s");
        using var response = await pending;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Poll the order until it reaches a status (test code only: clients use the SSE stream).</summary>
    public async Task<JsonElement> WaitForStatusAsync(string orderId, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var order = await GetJsonAsync($"/api/orders/{orderId}");
            if (order.GetProperty("status").GetString() == status) return order;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"order {orderId} is {order.GetProperty("status")}, never {status}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDir)
        {
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
        }
    }
}

public static class ProblemAssert
{
    public static async Task<JsonElement> IsProblem(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }
}
