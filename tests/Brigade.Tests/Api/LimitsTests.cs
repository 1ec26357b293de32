using System.Net;
using System.Net.Http.Json;
using System.Text;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>Per-client rate limits (429 with Retry-After, never 503), body size (413), JSON depth and array limits, request timeouts.</summary>
public class LimitsTests
{
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => "Brigade:Limits:" + p.Key, p => (string?)p.Value);

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_Retry_After_and_other_clients_do_not()
    {
        await using var app = await TestApp.StartAsync(extra: Settings(("RequestsPerSecond", "0.01"), ("Burst", "2")));
        using var busy = app.ClientAs("customer", "busy");
        using var calm = app.ClientAs("customer", "calm");
        for (var i = 0; i < 2; i++)
        {
            using var ok = await busy.GetAsync("/api/restaurants");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var refused = await busy.GetAsync("/api/restaurants");
        var problem = await ProblemAssert.IsProblem(refused, 429);
        Assert.Equal("urn:brigade:problem:rate-limited", problem.GetProperty("type").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After in seconds");
        using var other = await calm.GetAsync("/api/restaurants");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        // Health and metrics are not API calls and are never limited.
        using var health = await busy.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData(null, "10.1.2.3", false)]          // no proxy trusted: the header is anyone's to forge
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]   // a trusted proxy says who its clients are
    [InlineData("10.0.0.7", "10.0.0.8", false)]    // a connection from an address not named is not believed
    public async Task Anonymous_clients_behind_a_trusted_proxy_are_limited_one_by_one_and_a_forged_header_changes_nothing(
        string? trusted, string connectionFrom, bool limitedApart)
    {
        var settings = Settings(("GuestTokensPerMinute", "1"));
        if (trusted is not null) settings["Brigade:Limits:TrustedProxies:0"] = trusted;
        await using var app = await TestApp.StartAsync(extra: settings,
            services: s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new ConnectionFrom(System.Net.IPAddress.Parse(connectionFrom))));

        async Task<HttpStatusCode> GuestFor(string client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/guest");
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await app.Anonymous.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GuestFor("203.0.113.5"));
        Assert.Equal(limitedApart ? HttpStatusCode.OK : HttpStatusCode.TooManyRequests, await GuestFor("203.0.113.6"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GuestFor("203.0.113.5"));
    }

    [Fact]
    public void A_trusted_proxy_that_is_not_an_address_stops_start_up_with_a_message_naming_it()
    {
        var options = new Brigade.Hosting.LimitsOptions { TrustedProxies = ["10.0.0.0/8", "proxy.internal"] };
        Assert.Contains("'proxy.internal'", options.Validate(), StringComparison.Ordinal);
    }

    /// <summary>Every request arrives from this address, as if through a proxy there.</summary>
    private sealed class ConnectionFrom(System.Net.IPAddress address) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use((http, go) =>
            {
                http.Connection.RemoteIpAddress = address;
                return go(http);
            });
            next(app);
        };
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_before_anything_reads_it()
    {
        await using var app = await TestApp.StartAsync(extra: Settings(("MaxBodyBytes", "2000")));
        using var large = await app.Client.PostAsync("/api/outlets/pizza-north/kitchen/chefs", TestApp.Json($$"""{"id":"x","name":"{{new string('a', 3000)}}","skills":["pizza"]}"""));
        await ProblemAssert.IsProblem(large, 413);
        using var fine = await app.Client.PostAsync("/api/outlets/pizza-north/kitchen/chefs", TestApp.Json("""{"id":"x","name":"X","skills":["pizza"],"standby":true}"""));
        Assert.Equal(HttpStatusCode.NoContent, fine.StatusCode);
    }

    [Fact]
    public async Task Deeply_nested_json_is_400_and_oversized_arrays_are_422()
    {
        await using var app = await TestApp.StartAsync();
        var deep = new StringBuilder("""{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1,"extra":""");
        for (var i = 0; i < 40; i++) deep.Append('[');
        for (var i = 0; i < 40; i++) deep.Append(']');
        deep.Append("}]}");
        using var nested = await app.PostOrderAsync(deep.ToString(), "deep");
        await ProblemAssert.IsProblem(nested, 400);

        var items = string.Join(",", Enumerable.Range(0, 51).Select(_ => """{"menuItemId":"espresso","quantity":1}"""));
        using var many = await app.PostOrderAsync($$"""{"restaurantId":"corner-coffee","items":[{{items}}]}""", "many");
        await ProblemAssert.IsProblem(many, 422);

        await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.52, lon = 13.40 });
        var points = string.Join(",", Enumerable.Range(0, 1001).Select(_ => """{"lat":52.52,"lon":13.4}"""));
        using var tooMany = await app.Client.PostAsync("/api/couriers/ann/locations", TestApp.Json($$"""{"points":[{{points}}]}"""));
        await ProblemAssert.IsProblem(tooMany, 422);

        var skills = string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"s{i}\""));
        using var chef = await app.Client.PostAsync("/api/outlets/pizza-north/kitchen/chefs", TestApp.Json($$"""{"id":"x","skills":[{{skills}}]}"""));
        await ProblemAssert.IsProblem(chef, 422);
    }

    [Fact]
    public async Task Each_courier_s_location_updates_are_rate_limited_on_their_own()
    {
        await using var app = await TestApp.StartAsync(extra: Settings(("CourierLocationsPerSecond", "0.01"), ("CourierLocationBurst", "2")));
        foreach (var c in new[] { "ann", "bo" })
            Assert.Equal(HttpStatusCode.NoContent, (await app.Client.PostAsJsonAsync($"/api/couriers/{c}/shift/start", new { lat = 52.52, lon = 13.40 })).StatusCode);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsJsonAsync("/api/couriers/ann/locations", new { lat = 52.521, lon = 13.401 })).StatusCode);
        using var refused = await app.Client.PostAsJsonAsync("/api/couriers/ann/locations", new { lat = 52.522, lon = 13.402 });
        var problem = await ProblemAssert.IsProblem(refused, 429);
        Assert.Equal("urn:brigade:problem:location-rate-limited", problem.GetProperty("type").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);
        using var other = await app.Client.PostAsJsonAsync("/api/couriers/bo/locations", new { lat = 52.521, lon = 13.401 });
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_request_whose_body_never_finishes_is_cut_off_with_408()
    {
        await using var app = await TestApp.StartAsync(extra: Settings(("RequestTimeoutSeconds", "0.5")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StalledContent() };
        request.Headers.Add("Idempotency-Key", "stalled");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await app.Client.SendAsync(request, cts.Token);
        await ProblemAssert.IsProblem(response, 408);
    }

    /// <summary>Sends the start of a JSON body, then nothing, until cancelled.</summary>
    private sealed class StalledContent : HttpContent
    {
        public StalledContent() => Headers.ContentType = new("application/json");

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{\"restaurantId\":"u8.ToArray());
            await stream.FlushAsync();
            await Task.Delay(Timeout.Infinite);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            SerializeStalledAsync(stream, cancellationToken);

        private static async Task SerializeStalledAsync(Stream stream, CancellationToken ct)
        {
            await stream.WriteAsync("{\"restaurantId\":"u8.ToArray(), ct);
            await stream.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task Free_text_longer_than_two_hundred_characters_is_refused_and_nothing_of_it_is_stored()
    {
        await using var app = await TestApp.StartAsync();
        var text = new string('x', 201);
        var before = await app.Service<Brigade.Storage.IEventStore>().LastPositionAsync();

        var pause = await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/pause", new { reason = text }), 422);
        Assert.True(pause.GetProperty("errors").TryGetProperty("reason", out _));
        var chef = await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/kitchen/chefs", new { id = "zed", name = text, skills = new[] { "pizza" } }), 422);
        Assert.True(chef.GetProperty("errors").TryGetProperty("name", out _));
        var shift = await ProblemAssert.IsProblem(await app.Client.PostAsJsonAsync("/api/couriers/ann/shift/start", new { lat = 52.52, lon = 13.40, name = text }), 422);
        Assert.True(shift.GetProperty("errors").TryGetProperty("name", out _));
        Assert.Equal(before, await app.Service<Brigade.Storage.IEventStore>().LastPositionAsync());

        // Two hundred is fine.
        using var paused = await app.Client.PostAsJsonAsync("/api/outlets/pizza-north/pause", new { reason = text[1..] });
        Assert.Equal(HttpStatusCode.NoContent, paused.StatusCode);
        Assert.Equal(text[1..], (await app.GetJsonAsync("/api/outlets/pizza-north")).GetProperty("health").GetProperty("pauseReason").GetString());
    }
}
