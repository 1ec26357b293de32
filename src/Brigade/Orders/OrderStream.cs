using System.Globalization;
using System.Text;
using System.Text.Json;
using Brigade.Http;
using Brigade.Storage;

namespace Brigade.Orders;

/// <summary>
/// <c>GET /api/orders/{id}/stream</c>: Server-Sent Events. It opens with the order's current
/// state (or, given <c>Last-Event-ID</c>, with every change after that version), then sends one
/// event per change as it becomes durable, and closes after a terminal status (a client that
/// resumes after the last event of a finished order gets 204, which stops an EventSource from
/// reconnecting). The SSE id is the
/// order's stream version; the SSE event name is the status. Works with a browser EventSource
/// and with <c>curl -N</c>.
/// </summary>
public static class OrderStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(string id, HttpContext http, OrderReadModel orders, IEventStore store, Engine.ScaledTimeProvider clock, Observability.BrigadeMetrics metrics)
    {
        var ct = http.RequestAborted;
        using var subscription = orders.Subscribe(id);
        var caller = Caller.From(http);
        var current = await OrderEndpoints.FindAsync(id, http.RequestServices);
        if (current is null || !Auth.Access.CanSee(caller, current))
        {
            await Problems.NotFound($"There is no order '{id}'.").ExecuteAsync(http);
            return;
        }

        using var counted = metrics.Subscribed("order");
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();

        long sent;
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length == 0) lastEventId = http.Request.Query["lastEventId"].ToString();
        if (long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var resumeFrom) && resumeFrom <= current.Version)
        {
            (sent, _) = await SendFromLogAsync(response, store, id, resumeFrom, caller, checkAccess: false, ct);
            if (sent == resumeFrom && resumeFrom == 0) sent = await SendAsync(response, caller, "snapshot", current.Version, clock.GetUtcNow(), current, null, ct);
        }
        else
        {
            sent = await SendAsync(response, caller, "snapshot", current.Version, clock.GetUtcNow(), current, null, ct);
        }
        var last = orders.Find(id)?.Order ?? current;
        if (last.IsTerminal && sent >= last.Version)
        {
            // Nothing to send: a client resuming after the order's last event. An EventSource reconnects
            // whenever a stream ends, with the last id it saw; an empty 200 would have it do so for ever.
            // A 204 is what tells it to stop.
            if (!response.HasStarted)
            {
                response.StatusCode = StatusCodes.Status204NoContent;
                response.ContentType = null;
            }
            return;
        }
        // A resume with nothing new has written nothing yet: send the headers now, so the client sees
        // the stream open at once rather than with the first keep-alive, seconds later.
        if (!response.HasStarted) await response.Body.FlushAsync(ct);

        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                OrderUpdate update;
                try
                {
                    if (!await subscription.Reader.WaitToReadAsync(wait.Token)) return;
                    if (!subscription.Reader.TryRead(out update!)) continue;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }

                // A courier's position comes with the order as its publisher read it, which may be
                // older than a change already sent: skipped, the next position brings the order as it is.
                if (update.Version is null && update.Order.Version < sent) continue;
                // Who may see an order follows its state (a courier taken off it, an order moved to
                // another outlet): once this caller may not, the stream ends, before it tells them more.
                if (!Auth.Access.CanSee(caller, update.Order)) return;
                if (update.Version is not { } version)
                {
                    await SendAsync(response, caller, update.Change, null, update.At, update.Order, update.Detail, ct);
                    continue;
                }
                // Already sent, by a refill from the log that went past it; if it ended the order, so does the stream.
                if (version <= sent)
                {
                    if (update.Order.IsTerminal) return;
                    continue;
                }
                // A slow reader lost some, or the model caught up with changes nobody was told of: refill
                // from the log, as far as this caller may still see the order.
                if (version > sent + 1 || update.Change == OrderUpdate.FromLog)
                {
                    (sent, var visible) = await SendFromLogAsync(response, store, id, sent, caller, checkAccess: true, ct);
                    if (!visible) return;
                }
                if (version > sent) sent = await SendAsync(response, caller, update.Change, version, update.At, update.Order, update.Detail, ct);
                if (update.Order.IsTerminal) return;
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Replay the order's events after <paramref name="after"/> from the log, folding as we go; returns the last version sent.
    /// With <paramref name="checkAccess"/>, stops before the first change the caller may not see (and says so).
    /// </summary>
    private static async Task<(long Sent, bool Visible)> SendFromLogAsync(HttpResponse response, IEventStore store, string id, long after, Caller caller, bool checkAccess, CancellationToken ct)
    {
        Order? order = null;
        var sent = after;
        foreach (var stored in await store.ReadStreamAsync(new StreamKey(StreamKind.Order, id).ToString(), 0, ct))
        {
            var e = (IOrderEvent)EventSerializer.Deserialize(stored);
            order = Order.Apply(order, e);
            if (order.Version <= after) continue;
            if (checkAccess && !Auth.Access.CanSee(caller, order)) return (sent, false);
            sent = await SendAsync(response, caller, e.GetType().Name, order.Version, e.At, order, null, ct);
        }
        return (sent, true);
    }

    /// <param name="at">On the kitchen clock: when the change happened (the event's time), or now for a snapshot or a courier's position.</param>
    /// <param name="order">The order as it stands; it is sent as <paramref name="caller"/> may see it.</param>
    private static async Task<long> SendAsync(HttpResponse response, Caller caller, string change, long? version, DateTimeOffset at, Order order, object? detail, CancellationToken ct)
    {
        var data = JsonSerializer.Serialize(new OrderStreamMessage(change, version, at, OrderResponse.From(OrderResponse.For(caller, order)), detail as Delivery.Tracking), ApiJsonContext.Default.OrderStreamMessage);
        var sb = new StringBuilder(data.Length + 64);
        if (version is { } v) sb.Append("id: ").Append(v.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("event: ").Append(StatusNames.Of(order.Status)).Append('\n');
        sb.Append("data: ").Append(data).Append("\n\n");
        await response.WriteAsync(sb.ToString(), ct);
        await response.Body.FlushAsync(ct);
        return version ?? 0;
    }
}
