using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Brigade.Auth;
using Brigade.Orders;
using Brigade.Tests.Support;
using Microsoft.AspNetCore.TestHost;

namespace Brigade.Tests.Auth;

public class TokenTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a test key that is long enough for hmac-sha256!!");
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    private static string Issue(string role = "customer", string subject = "ann", string? outlet = null, TimeSpan? life = null, DateTimeOffset? at = null) =>
        Jwt.Issue(Key, new TokenClaims(subject, role, outlet, at ?? Now, (at ?? Now) + (life ?? TimeSpan.FromHours(1))));

    [Fact]
    public void A_token_it_issued_is_accepted_with_its_claims()
    {
        var (claims, error) = Jwt.Validate(Issue("staff", "kim", "pizza-north"), Key, Now, Skew);
        Assert.Null(error);
        Assert.Equal(("kim", "staff", "pizza-north"), (claims!.Subject, claims.Role, claims.OutletId));
    }

    [Fact]
    public void An_expired_token_is_accepted_within_the_skew_and_refused_after_it()
    {
        var token = Issue(life: TimeSpan.FromMinutes(1));
        Assert.Null(Jwt.Validate(token, Key, Now + TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(29), Skew).Error);
        Assert.Equal("the token has expired", Jwt.Validate(token, Key, Now + TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(31), Skew).Error);
    }

    [Fact]
    public void A_token_checked_before_is_still_refused_once_it_expires()
    {
        var clock = new StepClock(Now);
        var service = new TokenService(Key, Skew, clock);
        var token = service.Issue("customer", "ann", null, TimeSpan.FromMinutes(1));

        Assert.Null(service.Validate(token).Error);          // checked and remembered
        clock.Now = Now + TimeSpan.FromSeconds(80);
        Assert.Null(service.Validate(token).Error);          // within the skew
        clock.Now = Now + TimeSpan.FromSeconds(91);
        Assert.Equal("the token has expired", service.Validate(token).Error);
        // A tampered copy of a remembered token is not taken for it.
        clock.Now = Now;
        Assert.NotNull(service.Validate(token[..^2] + (token[^2] == 'A' ? "BA" : "AA")).Error);
    }

    [Fact]
    public void A_remembered_token_gives_the_same_caller_whether_it_comes_alone_or_inside_a_header()
    {
        var service = new TokenService(Key, Skew, new StepClock(Now));
        var token = service.Issue("staff", "kim", "pizza-north", TimeSpan.FromMinutes(5));

        var first = service.Validate(token).Principal;
        var again = service.Validate(("Bearer " + token + " ").AsSpan(7).Trim()).Principal;

        Assert.NotNull(first);
        Assert.Same(first, again);
        Assert.Equal(new Brigade.Http.Caller("kim", "staff", "pizza-north"), first.Caller);
        Assert.Equal("sub:kim", first.ClientKey);
        Assert.Equal(["kim", "staff", "pizza-north"], first.Claims.Select(c => c.Value));
        Assert.True(first.Identity!.IsAuthenticated);
    }

    [Fact]
    public void A_token_that_expires_at_the_end_of_the_calendar_is_checked_rather_than_crashing_the_check()
    {
        var lastSecond = DateTimeOffset.FromUnixTimeSeconds(253402300798);
        var token = Jwt.Issue(Key, new TokenClaims("ops", "admin", null, Now, lastSecond));
        Assert.Null(Jwt.Validate(token, Key, Now, Skew).Error);

        var service = new TokenService(Key, Skew, new StepClock(Now));
        Assert.Null(service.Validate(token).Error);   // checked
        Assert.Null(service.Validate(token).Error);   // remembered
    }

    private sealed class StepClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void The_skew_is_never_more_than_thirty_seconds_whatever_is_configured()
    {
        var token = Issue(life: TimeSpan.FromMinutes(1));
        Assert.NotNull(Jwt.Validate(token, Key, Now + TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5)).Error);
        Assert.Equal(TimeSpan.FromSeconds(30), new TokenService(Key, TimeSpan.FromMinutes(5)).Skew);
    }

    [Fact]
    public void A_negative_configured_skew_counts_as_none_so_a_remembered_token_is_not_refused_early_on_every_other_request()
    {
        var clock = new StepClock(Now);
        var service = new TokenService(Key, TimeSpan.FromSeconds(-60), clock);
        var token = service.Issue("customer", "ann", null, TimeSpan.FromMinutes(10));
        Assert.Null(service.Validate(token).Error);          // checked and remembered

        clock.Now = Now + TimeSpan.FromMinutes(9.5);

        Assert.Null(service.Validate(token).Error);
        Assert.Null(service.Validate(token).Error);
        Assert.Equal(TimeSpan.Zero, service.Skew);
    }

    [Fact]
    public void A_token_from_the_future_is_refused()
    {
        Assert.NotNull(Jwt.Validate(Issue(at: Now + TimeSpan.FromMinutes(2)), Key, Now, Skew).Error);
        Assert.Null(Jwt.Validate(Issue(at: Now + TimeSpan.FromSeconds(20)), Key, Now, Skew).Error);
    }

    [Fact]
    public void Unsigned_tampered_and_foreign_tokens_are_refused()
    {
        var token = Issue();
        var parts = token.Split('.');
        var none = System.Buffers.Text.Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);
        Assert.Equal("the token must be signed with HS256", Jwt.Validate($"{none}.{parts[1]}.", Key, Now, Skew).Error);
        Assert.NotNull(Jwt.Validate($"{none}.{parts[1]}.{parts[2]}", Key, Now, Skew).Error);
        var admin = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"sub":"ann","role":"admin","iat":{{Now.ToUnixTimeSeconds()}},"exp":{{Now.AddHours(1).ToUnixTimeSeconds()}}}"""));
        Assert.Equal("the token's signature is wrong", Jwt.Validate($"{parts[0]}.{admin}.{parts[2]}", Key, Now, Skew).Error);
        Assert.Equal("the token's signature is wrong", Jwt.Validate(token, Encoding.UTF8.GetBytes("another key, also long enough for the hmac!!"), Now, Skew).Error);
        Assert.NotNull(Jwt.Validate("not-a-token", Key, Now, Skew).Error);
        Assert.NotNull(Jwt.Validate(Issue(role: "root"), Key, Now, Skew).Error);
        Assert.NotNull(Jwt.Validate(Issue(role: "staff"), Key, Now, Skew).Error); // staff without an outlet
    }

    [Fact]
    public void A_signed_token_whose_claims_are_not_valid_utf8_is_refused_rather_than_throwing()
    {
        var header = System.Buffers.Text.Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
        byte[] claims = [.. "{\"sub\":\"ann"u8, 0xFF, .. Encoding.ASCII.GetBytes($"\",\"role\":\"customer\",\"iat\":{Now.ToUnixTimeSeconds()},\"exp\":{Now.AddHours(1).ToUnixTimeSeconds()}}}")];
        var signingInput = header + "." + System.Buffers.Text.Base64Url.EncodeToString(claims);
        var token = signingInput + "." + System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(signingInput)));

        Assert.Equal("the token's payload is not JSON", Jwt.Validate(token, Key, Now, Skew).Error);
    }

    [Fact]
    public async Task A_token_whose_header_is_not_valid_utf8_gets_a_401_problem_not_a_server_error()
    {
        await using var app = await TestApp.StartAsync();
        var parts = app.Token("admin", "root").Split('.');
        // The header is read before the signature is checked: anyone can send this one.
        var header = System.Buffers.Text.Base64Url.EncodeToString([.. "{\"alg\":\""u8, 0xFF, .. "\"}"u8]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/outlets") { Headers = { { "Authorization", $"Bearer {header}.{parts[1]}.{parts[2]}" } } };

        using var response = await app.Anonymous.SendAsync(request);

        var problem = await ProblemAssert.IsProblem(response, 401);
        Assert.Contains("header", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Objects_are_visible_per_role_and_owner()
    {
        var order = new Order
        {
            Id = "o1", RestaurantId = "r", OutletId = "north", Lines = [], CustomerId = "ann", IdempotencyKey = "k", RequestHash = "h", CourierId = "rider-1",
        };
        Assert.True(Access.CanSee(new Http.Caller("ann", "customer", null), order));
        Assert.False(Access.CanSee(new Http.Caller("bob", "customer", null), order));
        Assert.True(Access.CanSee(new Http.Caller("kim", "staff", "north"), order));
        Assert.False(Access.CanSee(new Http.Caller("kim", "staff", "south"), order));
        Assert.True(Access.CanSee(new Http.Caller("rider-1", "courier", null), order));
        Assert.False(Access.CanSee(new Http.Caller("rider-2", "courier", null), order));
        Assert.True(Access.CanSee(new Http.Caller("root", "admin", null), order));
    }

    [Fact]
    public async Task Requests_without_a_token_or_with_a_bad_one_get_401_problems()
    {
        await using var app = await TestApp.StartAsync();
        using var none = await app.Anonymous.GetAsync("/api/outlets");
        await ProblemAssert.IsProblem(none, 401);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/outlets") { Headers = { { "Authorization", "Bearer " + Issue("admin") } } };
        using var refused = await app.Anonymous.SendAsync(bad);
        var problem = await ProblemAssert.IsProblem(refused, 401);
        Assert.Contains("signature", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var query = await app.Anonymous.GetAsync("/api/outlets?access_token=" + app.Token("admin", "root"));
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
    }

    [Fact]
    public async Task A_guest_gets_a_customer_token_with_a_fresh_subject_and_orders_with_it()
    {
        await using var app = await TestApp.StartAsync();
        var first = await (await app.Anonymous.PostAsync("/api/auth/guest", null)).Content.ReadFromJsonAsync<JsonElement>();
        var second = await (await app.Anonymous.PostAsync("/api/auth/guest", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("customer", first.GetProperty("role").GetString());
        Assert.NotEqual(first.GetProperty("subject").GetString(), second.GetProperty("subject").GetString());

        using var guest = app.App.GetTestClient();
        guest.DefaultRequestHeaders.Authorization = new("Bearer", first.GetProperty("token").GetString());
        using var placed = await guest.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = TestApp.Json("""{"restaurantId":"corner-coffee","items":[{"menuItemId":"espresso","quantity":1}]}"""),
            Headers = { { "Idempotency-Key", "guest-1" } },
        });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        using var kitchen = await guest.GetAsync("/api/outlets/coffee-central/kitchen");
        await ProblemAssert.IsProblem(kitchen, 403);
    }

    [Fact]
    public async Task Guest_tokens_can_be_turned_off()
    {
        await using var app = await TestApp.StartAsync(extra: new Dictionary<string, string?> { ["Brigade:Auth:GuestTokens"] = "false" });
        using var response = await app.Anonymous.PostAsync("/api/auth/guest", null);
        await ProblemAssert.IsProblem(response, 403);
    }

    [Fact]
    public async Task The_token_verb_prints_a_token_that_a_server_on_the_same_data_dir_accepts()
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-token-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output, error) = await RunAsync("token", "--role", "staff", "--subject", "kim", "--outlet", "pizza-north", "--data-dir", dir);
            Assert.True(code == 0, error);
            await using var app = await TestApp.StartAsync(dataDir: dir);
            using var client = app.App.GetTestClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", output.Trim());
            using var own = await client.GetAsync("/api/outlets/pizza-north/kitchen");
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            using var other = await client.GetAsync("/api/outlets/pizza-south/kitchen");
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);

            var (refused, _, message) = await RunAsync("token", "--role", "staff", "--subject", "kim", "--data-dir", dir);
            Assert.Equal(2, refused);
            Assert.Contains("--outlet", message, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_token_verb_with_an_empty_data_directory_says_so_and_exits_without_a_stack_trace()
    {
        var (code, output, error) = await RunAsync("token", "--role", "admin", "--subject", "ops", "--data-dir", "");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("brigade token: --data-dir must name a directory", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_verb_with_a_misspelt_signing_key_setting_names_it_instead_of_signing_with_another_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), "brigade-token-" + Guid.NewGuid().ToString("N"));
        var (code, output, error) = await Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), "token", "--role", "admin", "--subject", "ops", "--data-dir", dir],
            new Dictionary<string, string> { ["Brigade__Auth__SigninKey"] = new string('k', 32) });

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("brigade token: Brigade:Auth:SigninKey is not a setting; did you mean Brigade:Auth:SigningKey?", error, StringComparison.Ordinal);
        // No key file was made for a token nobody's server would accept.
        Assert.False(Directory.Exists(dir));
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        Processes.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "brigade.dll"), .. args]);
}
