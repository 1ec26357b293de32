using System.Net;
using System.Text;
using System.Text.Json;
using Brigade.Http;
using Brigade.Payments;
using Brigade.Storage;
using Brigade.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Brigade.Tests.Api;

/// <summary>Orders that must be paid for: authorisation before acceptance, signed and deduplicated provider webhooks, no double charge.</summary>
public class PaymentTests
{
    private const string Espresso = """{"restaurantId":"corner-coffee","outletId":"coffee-central","items":[{"menuItemId":"espresso","quantity":1}]}""";

    private static Dictionary<string, string?> Payments(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Brigade:Payments:Required"] = "true" };
        foreach (var (k, v) in more) settings["Brigade:Payments:" + k] = v;
        return settings;
    }

    [Fact]
    public async Task An_order_waits_for_payment_authorisation_before_it_is_accepted_and_a_retry_never_charges_twice()
    {
        await using var app = await TestApp.StartAsync(extra: Payments());
        var placed = await app.PlaceAsync(Espresso, "pay-1");
        Assert.Equal("placed", placed.GetProperty("status").GetString());
        Assert.Equal("pending", placed.GetProperty("payment").GetString());
        var id = placed.GetProperty("id").GetString()!;

        var accepted = await PaidAsync(app, id);
        Assert.Equal("authorized", accepted.GetProperty("payment").GetString());
        var types = (await app.GetJsonAsync($"/api/orders/{id}/events")).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.True(types.IndexOf("PaymentRequired") < types.IndexOf("PaymentAuthorized"));
        Assert.True(types.IndexOf("PaymentAuthorized") < types.IndexOf("OrderAccepted"));

        var again = await app.PlaceAsync(Espresso, "pay-1");
        Assert.Equal(id, again.GetProperty("id").GetString());
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        Assert.Single(provider.Charges);
        Assert.Equal(accepted.GetProperty("totalCents").GetInt32(), provider.Charges.Single().AmountCents);
    }

    [Fact]
    public async Task A_declined_payment_rejects_the_order()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalDeclineAboveCents", "100")));
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        var rejected = await app.WaitForStatusAsync(id, "rejected");
        Assert.Equal("declined", rejected.GetProperty("payment").GetString());
        Assert.StartsWith("payment declined", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_restaurants_named_in_the_configuration_require_payment()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("Restaurants:0", "pizza-parlor")));
        var coffee = await app.PlaceAsync(Espresso);
        Assert.NotEqual("placed", coffee.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, coffee.GetProperty("payment").ValueKind);
    }

    [Fact]
    public async Task A_tampered_or_stale_webhook_changes_nothing_and_a_repeated_one_is_applied_once()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false")));
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        var charge = Assert.Single(provider.Charges);
        var secret = app.Service<PaymentSecrets>().WebhookSecret;
        var store = app.Service<IEventStore>();
        async Task<int> CountEvents() => (await store.ReadByOrderAsync(id)).Count;
        var before = await CountEvents();

        var body = Body("evt_1", id, charge.PaymentId, charge.AmountCents);
        // Tampered: signed for one body, sent with another.
        var tampered = Body("evt_1", id, charge.PaymentId, 1);
        await ProblemAssert.IsProblem(await SendAsync(app, tampered, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, body)), 401);
        // Signed with another secret.
        await ProblemAssert.IsProblem(await SendAsync(app, body, WebhookSignature.Sign("not the secret, but long enough to be one"u8, DateTimeOffset.UtcNow, body)), 401);
        // Stale: a correct signature, ten minutes old.
        await ProblemAssert.IsProblem(await SendAsync(app, body, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow.AddMinutes(-10), body)), 401);
        // Unsigned.
        await ProblemAssert.IsProblem(await SendAsync(app, body, null), 401);
        Assert.Equal(before, await CountEvents());
        Assert.Null(await store.FindDedupAsync(PaymentWebhooks.DedupScope, "evt_1"));
        var still = await app.GetJsonAsync($"/api/orders/{id}");
        Assert.Equal(("placed", "pending"), (still.GetProperty("status").GetString(), still.GetProperty("payment").GetString()));

        // The genuine one: the order is accepted, and the event id is stored with that change.
        using (var ok = await SendAsync(app, body, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, body)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await PaidAsync(app, id);
        Assert.Equal(id, await store.FindDedupAsync(PaymentWebhooks.DedupScope, "evt_1"));
        var after = await CountEvents();

        // Delivered again, and again under a new event id: nothing more happens.
        using (var repeat = await SendAsync(app, body, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, body)))
            Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        var other = Body("evt_2", id, charge.PaymentId, charge.AmountCents);
        using (var second = await SendAsync(app, other, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, other)))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(after, await CountEvents());
    }

    [Fact]
    public async Task A_repeated_webhook_that_missed_the_first_ones_record_changes_nothing_and_does_not_hold_up_the_timers_due_with_it()
    {
        // The kitchen clock moves only when the test moves it, so what is due when is known.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false"), ("TimeoutMinutes", "1")),
            services: s => s.AddSingleton(new Brigade.Engine.ScaledTimeProvider(1, clock)));
        var paid = (await app.PlaceAsync(Espresso, "paid")).GetProperty("id").GetString()!;
        var unpaid = (await app.PlaceAsync(Espresso, "unpaid")).GetProperty("id").GetString()!;
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        var charge = provider.Charges.Single(c => c.OrderId == paid);
        var secret = app.Service<PaymentSecrets>().WebhookSecret;
        var body = Body("evt_1", paid, charge.PaymentId, charge.AmountCents);
        using (var ok = await SendAsync(app, body, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, body)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // The unpaid order's payment deadline passes. Then the same webhook arrives again, as when a
        // provider delivers it twice at once and the second checked for its id before the first was
        // recorded: the engine sees the authorisation again, together with the deadline now due.
        clock.Advance(TimeSpan.FromMinutes(2));
        var engine = app.Service<Brigade.Engine.EngineHost>();
        var repeat = await engine.SendAsync((e, now, output) => e.AuthorizePayment(paid, charge.PaymentId, charge.AmountCents, now, output),
            r => r.IsOk ? new DedupKey(PaymentWebhooks.DedupScope, "evt_1", paid) : null);

        Assert.Equal(Brigade.Engine.Outcome.Ok, repeat.Outcome);
        Assert.True(engine.IsRunning, "the engine did not have to recover");
        Assert.Equal("cancelled", (await app.GetJsonAsync($"/api/orders/{unpaid}")).GetProperty("status").GetString());
        Assert.Equal(1, (await app.Service<IEventStore>().ReadByOrderAsync(paid)).Count(e => e.Type == "PaymentAuthorized"));
    }

    [Fact]
    public async Task An_authorisation_that_arrives_after_its_cancelled_order_left_memory_is_voided_not_refused()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false")));
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        var charge = Assert.Single(provider.Charges);
        using (var cancelled = await app.Client.PostAsync($"/api/orders/{id}/cancel", null))
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        await app.Service<Brigade.Engine.EngineHost>().ForgetEndedOrdersAsync(TimeSpan.FromSeconds(-1));

        var body = Body("evt_late", id, charge.PaymentId, charge.AmountCents);
        using var late = await SendAsync(app, body, WebhookSignature.Sign(app.Service<PaymentSecrets>().WebhookSecret, DateTimeOffset.UtcNow, body));

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.True(charge.Voided, "the money held for a cancelled order was never released");
        Assert.Equal("cancelled", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_authorisation_of_the_wrong_amount_is_voided_and_the_order_waits_for_the_right_one()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false")));
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        var charge = Assert.Single(provider.Charges);
        var secret = app.Service<PaymentSecrets>().WebhookSecret;

        var wrong = Body("evt_wrong", id, "pay_wrong", charge.AmountCents + 100);
        var problem = await ProblemAssert.IsProblem(await SendAsync(app, wrong, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, wrong)), 422);
        Assert.Contains("voided", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["pay_wrong"], provider.Voids.Select(v => v.PaymentId));
        Assert.Equal("placed", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());
        Assert.False(charge.Voided, "the order's own authorisation was released");

        var right = Body("evt_right", id, charge.PaymentId, charge.AmountCents);
        using (var paid = await SendAsync(app, right, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, right)))
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Equal("authorized", (await PaidAsync(app, id)).GetProperty("payment").GetString());
        Assert.DoesNotContain(provider.Voids, v => v.PaymentId == charge.PaymentId);
    }

    [Fact]
    public async Task An_authorisation_without_an_amount_is_refused_as_malformed_rather_than_ignored()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false")));
        var id = (await app.PlaceAsync(Espresso)).GetProperty("id").GetString()!;
        var charge = Assert.Single(((LocalPaymentProvider)app.Service<IPaymentProvider>()).Charges);
        var body = Encoding.UTF8.GetBytes($$"""{"id":"evt_1","type":"payment.authorized","orderId":"{{id}}","paymentId":"{{charge.PaymentId}}"}""");

        var problem = await ProblemAssert.IsProblem(await SendAsync(app, body, WebhookSignature.Sign(app.Service<PaymentSecrets>().WebhookSecret, DateTimeOffset.UtcNow, body)), 400);
        Assert.Contains("amountCents", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await app.Service<IEventStore>().FindDedupAsync(PaymentWebhooks.DedupScope, "evt_1"));
    }

    [Fact]
    public async Task Cancelling_a_paid_order_voids_its_authorisation_so_no_money_stays_held()
    {
        // Chefs who start only when told: the order stays cancellable once a kitchen has it.
        await using var app = await TestApp.StartAsync(catalogJson: OrderApiTests.HumanKitchen, extra: Payments(("LocalCallbacks", "false")));
        var id = (await app.PlaceAsync("""{"restaurantId":"r","items":[{"menuItemId":"soup","quantity":1}]}""")).GetProperty("id").GetString()!;
        var provider = (LocalPaymentProvider)app.Service<IPaymentProvider>();
        var charge = Assert.Single(provider.Charges);
        var body = Body("evt_1", id, charge.PaymentId, charge.AmountCents);
        using (var paid = await SendAsync(app, body, WebhookSignature.Sign(app.Service<PaymentSecrets>().WebhookSecret, DateTimeOffset.UtcNow, body)))
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Equal("accepted", (await app.GetJsonAsync($"/api/orders/{id}")).GetProperty("status").GetString());

        using (var cancelled = await app.Client.PostAsync($"/api/orders/{id}/cancel", null))
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

        // The provider is called off the log's writer thread: give it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!charge.Voided && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(charge.Voided, "the money held for a cancelled order was never released");
        Assert.Equal([(charge.PaymentId, "void-" + charge.PaymentId)], provider.Voids);
    }

    [Fact]
    public async Task The_provider_charges_once_per_idempotency_key()
    {
        await using var app = await TestApp.StartAsync(extra: Payments(("LocalCallbacks", "false")));
        var provider = app.Service<IPaymentProvider>();
        var first = await provider.AuthorizeAsync(new PaymentRequest("o1", 390, "EUR", "authorize-o1"));
        var retry = await provider.AuthorizeAsync(new PaymentRequest("o1", 390, "EUR", "authorize-o1"));
        Assert.Equal(first.PaymentId, retry.PaymentId);
        Assert.False(first.Replayed);
        Assert.True(retry.Replayed);
        Assert.Single(((LocalPaymentProvider)provider).Charges);
    }

    /// <summary>Wait until the payment is authorised and a kitchen has the order (it may be cooking by then).</summary>
    private static async Task<JsonElement> PaidAsync(TestApp app, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var order = await app.GetJsonAsync($"/api/orders/{id}");
            if (order.GetProperty("payment").GetString() == "authorized" && order.GetProperty("status").GetString() != "placed") return order;
            Assert.True(DateTime.UtcNow < deadline, $"order {id} was never paid and accepted: {order}");
            await Task.Delay(20);
        }
    }

    private static byte[] Body(string eventId, string orderId, string paymentId, int amount) =>
        Encoding.UTF8.GetBytes($$"""{"id":"{{eventId}}","type":"payment.authorized","orderId":"{{orderId}}","paymentId":"{{paymentId}}","amountCents":{{amount}}}""");

    private static Task<HttpResponseMessage> SendAsync(TestApp app, byte[] body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/payments/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        if (signature is not null) request.Headers.Add(WebhookSignature.Header, signature);
        return app.Anonymous.SendAsync(request);
    }
}
