using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Brigade.Auth;
using Brigade.Engine;
using Brigade.Hosting;
using Brigade.Http;
using Brigade.Orders;
using Brigade.Storage;
using Polly;
using Outcome = Brigade.Engine.Outcome;
using Polly.Retry;

namespace Brigade.Payments;

/// <param name="IdempotencyKey">The same key always means the same payment: a retry never charges twice.</param>
public sealed record PaymentRequest(string OrderId, int AmountCents, string Currency, string IdempotencyKey);

/// <summary>The provider took the request; its outcome arrives later, by webhook.</summary>
public sealed record PaymentAttempt(string PaymentId, bool Replayed);

/// <summary>A payment service provider. Results come back as signed webhooks to <c>POST /api/payments/webhook</c>.</summary>
public interface IPaymentProvider
{
    string Name { get; }

    Task<PaymentAttempt> AuthorizeAsync(PaymentRequest request, CancellationToken ct = default);

    Task VoidAsync(string paymentId, string idempotencyKey, CancellationToken ct = default);
}

/// <summary>What a provider's webhook says.</summary>
public sealed class PaymentWebhookEvent
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public string? OrderId { get; set; }
    public string? PaymentId { get; set; }
    public int? AmountCents { get; set; }
    public string? Reason { get; set; }
}

/// <summary>The secret webhooks from the provider are signed with.</summary>
public sealed class PaymentSecrets(byte[] webhookSecret)
{
    public byte[] WebhookSecret { get; } = webhookSecret;

    public static PaymentSecrets FromOptions(BrigadeOptions options) => new(
        string.IsNullOrWhiteSpace(options.Payments.WebhookSecret)
            ? SigningKey.LoadOrCreate(options.DataDir, "payments-webhook.key")
            : SigningKey.FromConfiguration(options.Payments.WebhookSecret));
}

/// <summary>
/// The built-in provider, for development and demos: it keeps its ledger in memory, authorises
/// everything up to an optional limit, and reports each result through the same signed webhook
/// a real provider would call. One charge per idempotency key, however often it is asked.
/// </summary>
public sealed class LocalPaymentProvider(BrigadeOptions options, PaymentSecrets secrets, IServiceProvider services) : IPaymentProvider
{
    private readonly ConcurrentDictionary<string, Charge> _ledger = new(StringComparer.Ordinal);

    public string Name => "local";

    public sealed record Charge(string PaymentId, string OrderId, int AmountCents, bool Authorized, string? Reason)
    {
        public bool Voided { get; set; }
    }

    /// <summary>Every charge made, one per idempotency key.</summary>
    public IReadOnlyCollection<Charge> Charges => _ledger.Values.ToList();

    public Task<PaymentAttempt> AuthorizeAsync(PaymentRequest request, CancellationToken ct = default)
    {
        var created = false;
        var charge = _ledger.GetOrAdd(request.IdempotencyKey, _ =>
        {
            created = true;
            var limit = options.Payments.LocalDeclineAboveCents;
            var declined = limit is not null && request.AmountCents > limit;
            return new Charge("pay_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), request.OrderId, request.AmountCents, !declined,
                declined ? $"the local provider declines amounts above {limit} cents" : null);
        });
        if (created && options.Payments.LocalCallbacks) _ = Task.Run(() => CallBackAsync(charge), CancellationToken.None);
        return Task.FromResult(new PaymentAttempt(charge.PaymentId, !created));
    }

    /// <summary>Every void asked for, in order, with the payment and idempotency key given.</summary>
    public IReadOnlyList<(string PaymentId, string IdempotencyKey)> Voids
    {
        get { lock (_voids) return [.. _voids]; }
    }

    private readonly List<(string PaymentId, string IdempotencyKey)> _voids = [];

    public Task VoidAsync(string paymentId, string idempotencyKey, CancellationToken ct = default)
    {
        lock (_voids) _voids.Add((paymentId, idempotencyKey));
        foreach (var c in _ledger.Values) if (c.PaymentId == paymentId) c.Voided = true;
        return Task.CompletedTask;
    }

    private async Task CallBackAsync(Charge charge)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new PaymentWebhookEvent
        {
            Id = "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Type = charge.Authorized ? "payment.authorized" : "payment.declined",
            OrderId = charge.OrderId,
            PaymentId = charge.PaymentId,
            AmountCents = charge.AmountCents,
            Reason = charge.Reason,
        }, ApiJsonContext.Default.PaymentWebhookEvent);
        var signature = WebhookSignature.Sign(secrets.WebhookSecret, DateTimeOffset.UtcNow, body);
        var webhooks = services.GetRequiredService<PaymentWebhooks>();
        // Like a provider: try again a few times if the server is not ready for it.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var (status, _) = await webhooks.HandleAsync(body, signature, CancellationToken.None);
            if (status < 500) return;
            await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)));
        }
    }
}

/// <summary>
/// Provider callbacks. Each is verified (HMAC-SHA256 over the raw body and timestamp, within a
/// tolerance) before it is even parsed, and deduplicated by its event id: the id is stored in the
/// same transaction as the order's change, so a delivery seen twice changes nothing the second time.
/// </summary>
public sealed partial class PaymentWebhooks(EngineHost engine, IEventStore store, PaymentSecrets secrets, BrigadeOptions options, IPaymentProvider provider, ILogger<PaymentWebhooks> log)
{
    public const string DedupScope = "payment-webhook";
    public const int MaxBodyBytes = 64 * 1024;

    public async Task<(int Status, string Detail)> HandleAsync(byte[] body, string? signature, CancellationToken ct)
    {
        if (WebhookSignature.Verify(signature, body, secrets.WebhookSecret, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(options.Payments.WebhookToleranceSeconds)) is { } why)
        {
            LogRefused(why);
            return (401, $"The webhook was refused: {why}.");
        }
        PaymentWebhookEvent? e;
        try { e = JsonSerializer.Deserialize(body, ApiJsonContext.Default.PaymentWebhookEvent); }
        catch (JsonException) { return (400, "The webhook body is not valid JSON."); }
        if (e?.Id is not { Length: > 0 and <= 128 } id || e.OrderId is not { } orderId || e.PaymentId is not { } paymentId || e.Type is null)
            return (400, "The webhook needs id, type, orderId and paymentId.");
        if (await store.FindDedupAsync(DedupScope, id, ct) is not null) return (200, $"Event {id} was already processed.");

        Func<BrigadeEngine, DateTimeOffset, List<IDomainEvent>, EngineResult> decide;
        switch (e.Type)
        {
            case "payment.authorized" when e.AmountCents is { } amount:
                decide = (en, now, output) => en.AuthorizePayment(orderId, paymentId, amount, now, output);
                break;
            case "payment.authorized":
                return (400, "A payment.authorized webhook needs amountCents: the amount authorised, checked against the order's total.");
            case "payment.declined":
                decide = (en, now, output) => en.DeclinePayment(orderId, paymentId, e.Reason ?? "declined", now, output);
                break;
            default:
                return (200, $"Event type '{e.Type}' is not used here.");
        }
        var result = await engine.SendAsync(decide, r => r.IsOk ? new DedupKey(DedupScope, id, orderId) : null);
        switch (result.Outcome)
        {
            case Outcome.Ok:
                if (e.Type == "payment.authorized" && result.Order?.Status == OrderStatus.Rejected)
                    await provider.VoidAsync(paymentId, VoidKey(paymentId), ct);
                return (200, $"Order {orderId} is {result.Order?.Status}.");
            case Outcome.NotFound when (await store.ReadByOrderAsync(orderId, ct)).Count == 0:
                return (404, $"There is no order '{orderId}'.");
            case Outcome.NotFound:
                // The engine forgets ended orders; the log still has it. It waits for no payment any more: release the money.
                if (e.Type == "payment.authorized") await provider.VoidAsync(paymentId, VoidKey(paymentId), ct);
                return (200, $"Order {orderId} has ended and is not waiting for a payment.");
            case Outcome.Conflict:
                // The order moved on (cancelled, say): release the money.
                if (e.Type == "payment.authorized") await provider.VoidAsync(paymentId, VoidKey(paymentId), ct);
                return (200, result.Message ?? "The order is not waiting for a payment.");
            case Outcome.Unavailable:
                return (503, result.Message ?? "The engine is not available; retry.");
            case Outcome.Invalid when e.Type == "payment.authorized":
                // Not the order's total: this authorisation cannot pay for the order, so the money it
                // holds is released. The order keeps waiting for one of the right amount (or times out).
                await provider.VoidAsync(paymentId, VoidKey(paymentId), ct);
                return (422, $"{result.Message ?? "The authorisation does not match the order"}; payment {paymentId} was voided.");
            default:
                return (422, result.Message ?? "The event cannot be applied.");
        }
    }

    /// <summary>One void per payment, however often it is asked for (an order may see more than one payment).</summary>
    internal static string VoidKey(string paymentId) => "void-" + paymentId;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/payments/webhook", async (HttpContext http, PaymentWebhooks webhooks) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes) return Problems.TooLarge(MaxBodyBytes);
            var body = await HttpBody.ReadAsync(http.Request, MaxBodyBytes, http.RequestAborted);
            if (body is null) return Problems.TooLarge(MaxBodyBytes);
            var (status, detail) = await webhooks.HandleAsync(body, http.Request.Headers[WebhookSignature.Header].ToString(), http.RequestAborted);
            return status switch
            {
                200 => TypedResults.Ok(new WebhookAnswer(detail)),
                401 => Problems.Of(401, "webhook-signature", "Unauthorized", detail),
                404 => Problems.NotFound(detail),
                503 => Problems.Unavailable(detail, TimeSpan.FromSeconds(2)),
                422 => Problems.Unprocessable("webhook-refused", detail),
                _ => Problems.BadRequest("webhook-malformed", detail),
            };
        }).AllowAnonymous().WithTags("Payments").WithName("PaymentWebhook")
            .WithSummary($"Payment provider callbacks, signed ({WebhookSignature.Header}: t=…,v1=HMAC-SHA256 of \"t.body\"); deduplicated by event id");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A payment webhook was refused: {Reason}")]
    private partial void LogRefused(string reason);
}

public sealed record WebhookAnswer(string Detail);

/// <summary>
/// Releases the money held for an order that ends without being handed over: cancelled (the
/// customer may cancel a paid order until cooking starts), rejected or failed in the kitchen after
/// its payment was authorised. Nothing else voids such an authorisation, so the customer's money
/// would stay held. A commit listener: it sees each order as it stands after every durable commit.
/// </summary>
public sealed partial class PaymentReleaser(IPaymentProvider provider, ILogger<PaymentReleaser> log)
{
    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        foreach (var ce in batch)
        {
            if (ce.Event.State is not Order { Payment: PaymentStatus.Authorized, PaymentId: { } paymentId } order ||
                order.Status is not (OrderStatus.Cancelled or OrderStatus.Rejected or OrderStatus.Failed))
                continue;
            // Listeners run on the log's writer thread: the provider is called off it. The void's
            // idempotency key makes a repeat (a later commit of the ended order, the webhook's own
            // void of an authorisation no kitchen could use) change nothing at the provider.
            var orderId = order.Id;
            _ = Task.Run(async () =>
            {
                try { await provider.VoidAsync(paymentId, PaymentWebhooks.VoidKey(paymentId), CancellationToken.None); }
                catch (Exception e) when (e is HttpRequestException or TimeoutException or IOException)
                {
                    LogVoidFailed(e, paymentId, orderId);
                }
            }, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Payment {PaymentId} of ended order {OrderId} could not be voided at the provider")]
    private partial void LogVoidFailed(Exception error, string paymentId, string orderId);
}

/// <summary>Asks the provider to authorise a new order's payment, retrying with the same idempotency key.</summary>
public sealed partial class PaymentCoordinator(IPaymentProvider provider, BrigadeOptions options, ILogger<PaymentCoordinator> log)
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutException>().Handle<IOException>(),
            MaxRetryAttempts = 4,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            UseJitter = true,
        })
        .Build();

    public bool Requires(string restaurantId) =>
        options.Payments.Required && (options.Payments.Restaurants.Count == 0 || options.Payments.Restaurants.Contains(restaurantId, StringComparer.Ordinal));

    public static string KeyFor(string orderId) => "authorize-" + orderId;

    public async Task RequestAsync(Order order, CancellationToken ct)
    {
        try
        {
            var attempt = await _retry.ExecuteAsync(async token =>
                await provider.AuthorizeAsync(new PaymentRequest(order.Id, order.TotalCents, "EUR", KeyFor(order.Id)), token), ct);
            LogRequested(order.Id, attempt.PaymentId);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or IOException)
        {
            // The order stays placed, waiting for a payment; the customer may cancel it.
            LogFailed(e, order.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Payment {PaymentId} requested for order {OrderId}")]
    private partial void LogRequested(string orderId, string paymentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The payment provider could not be reached for order {OrderId}")]
    private partial void LogFailed(Exception error, string orderId);
}
