using System.Diagnostics;
using System.Diagnostics.Metrics;
using Brigade.Delivery;
using Brigade.Orders;
using Brigade.Routing;
using Brigade.Storage;

namespace Brigade.Observability;

/// <summary>
/// The server's instruments (meter <c>Brigade</c>): orders by status, routing decisions, kitchens,
/// couriers, dispatch, HTTP and live streams. Event-log instruments are in <see cref="StoreMetrics"/>
/// (meter <c>Brigade.EventLog</c>). <c>/metrics</c> and the optional OTLP export read them all.
/// </summary>
public sealed class BrigadeMetrics : IDisposable
{
    public const string MeterName = "Brigade";
    private readonly Meter _meter;
    private readonly Counter<long> _orders;
    private readonly Counter<long> _routing;
    private readonly Histogram<double> _matchLatency;
    private readonly Histogram<double> _http;
    private readonly UpDownCounter<long> _sse;
    private readonly OrderReadModel _orderModel;

    public BrigadeMetrics(OperationsSampler sampler, OrderReadModel orders, DispatchProbe dispatch)
    {
        _orderModel = orders;
        // Scoped to this instance, so that an exporter reads its own server's instruments only (tests run several servers in one process).
        _meter = new Meter(new MeterOptions(MeterName) { Scope = this });
        _orders = _meter.CreateCounter<long>("brigade.orders", "{order}", "Orders that reached each status (label status)");
        _routing = _meter.CreateCounter<long>("brigade.routing.decisions", "{decision}", "Routing decisions by outlet and kind (routed, spill_over, rerouted)");
        _matchLatency = _meter.CreateHistogram<double>("brigade.dispatch.match.latency", "s", "Kitchen time from an order's acceptance to a courier being assigned");
        var matchDuration = _meter.CreateHistogram<double>("brigade.dispatch.match.duration", "s", "Wall time of one matcher run: the optimal assignment of a round's waiting orders to couriers");
        dispatch.Measured += (elapsed, _, _) => matchDuration.Record(elapsed.TotalSeconds);
        _http = _meter.CreateHistogram<double>("brigade.http.request.duration", "s", "HTTP request duration by method, route and status code");
        _sse = _meter.CreateUpDownCounter<long>("brigade.sse.subscribers", "{subscriber}", "Open live connections the server pushes to (every SSE stream and WebSocket) by kind");
        _meter.CreateObservableGauge("brigade.orders.open", () => sampler.Current.OpenOrders.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("status", p.Key))),
            "{order}", "Orders in the engine by current status");
        _meter.CreateObservableGauge("brigade.station.queue.depth", () => sampler.Current.Stations.Select(s => new Measurement<long>(s.Queued, Tags(s))),
            "{task}", "Tasks waiting at each station");
        _meter.CreateObservableGauge("brigade.station.wait.p90", () => sampler.Current.Stations.Select(s => new Measurement<double>(s.WaitP90Seconds, Tags(s))),
            "s", "90th percentile age of the tickets waiting at each station");
        _meter.CreateObservableGauge("brigade.station.wait.target", () => sampler.Current.Stations.Select(s => new Measurement<double>(s.TargetWaitSeconds, Tags(s))),
            "s", "Each station's target wait");
        _meter.CreateObservableGauge("brigade.chef.utilisation", () => sampler.Current.Outlets.Select(o => new Measurement<double>(o.ChefUtilisation, new KeyValuePair<string, object?>("outlet", o.OutletId))),
            "1", "Share of working chefs who are busy, per outlet");
        _meter.CreateObservableGauge("brigade.couriers", () => sampler.Current.Couriers.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))),
            "{courier}", "Couriers on shift by phase");
    }

    private static KeyValuePair<string, object?>[] Tags(StationSample s) => [new("outlet", s.OutletId), new("station", s.StationId)];

    /// <summary>Committed events (on the log's writer thread): count status changes, routing decisions and assignment latency.</summary>
    public void OnCommitted(IReadOnlyList<CommittedEvent> batch)
    {
        foreach (var ce in batch)
        {
            switch (ce.Event.Source)
            {
                case OrderRouted r:
                    _routing.Add(1, new("outlet", r.OutletId), new("kind", r.Reason.StartsWith("spill-over", StringComparison.Ordinal) ? "spill_over" : "routed"));
                    break;
                case OrderRerouted r:
                    _routing.Add(1, new("outlet", r.ToOutletId), new("kind", "rerouted"));
                    break;
                case CourierAssigned a when _orderModel.Find(a.OrderId)?.Order.Timeline.AcceptedAt is { } accepted:
                    _matchLatency.Record(Math.Max(0, (a.At - accepted).TotalSeconds));
                    break;
            }
            if (ce.Event.Source is IOrderEvent e && StatusReached(e) is { } status) _orders.Add(1, new KeyValuePair<string, object?>("status", status));
        }
    }

    private static string? StatusReached(IOrderEvent e) => e switch
    {
        OrderPlaced => "placed",
        OrderAccepted => "accepted",
        OrderPreparing => "preparing",
        OrderReady => "ready",
        CourierAssigned => "courierAssigned",
        OrderPickedUp => "pickedUp",
        OrderDelivered => "delivered",
        OrderCollected => "collected",
        OrderCancelled => "cancelled",
        OrderRejected => "rejected",
        OrderFailed => "failed",
        _ => null,
    };

    public void HttpRequest(string method, string route, int status, TimeSpan duration) =>
        _http.Record(duration.TotalSeconds, new("method", MethodLabel(method)), new("route", route), new("status", Boxed(status)));

    /// <summary>
    /// The method as a label: one of the standard methods, or <c>_OTHER</c> (as OpenTelemetry's HTTP
    /// conventions do). A client may send any token as its method, and each label value is a series kept
    /// for the life of the process: made-up methods would grow memory and /metrics without bound.
    /// </summary>
    private static string MethodLabel(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "CONNECT" => "CONNECT",
        _ => "_OTHER",
    };

    // Status codes boxed once: a tag value is an object, and boxing per request is garbage per request.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 600).Select(i => (object)i)];

    private static object Boxed(int status) => (uint)status < (uint)StatusCodes.Length ? StatusCodes[status] : status;

    /// <summary>Count an open live stream until disposed.</summary>
    public IDisposable Subscribed(string kind)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _sse.Add(1, tag);
        return new Unsubscribe(_sse, tag);
    }

    private sealed class Unsubscribe(UpDownCounter<long> counter, KeyValuePair<string, object?> tag) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) counter.Add(-1, tag);
        }
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>Records every API request's duration against its route pattern (not the raw path, to keep labels few).</summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next, BrigadeMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        int? failed = null;
        try
        {
            await next(http);
        }
        catch (Exception e)
        {
            // The exception handler, further out, answers it: count the status it will send, not the 200 the response still has.
            // (Once the response has started, its status is what the client got.)
            failed = http.Response.HasStarted ? http.Response.StatusCode
                : e is OperationCanceledException && http.RequestAborted.IsCancellationRequested ? StatusCodes.Status499ClientClosedRequest
                : Hosting.BrigadeServer.StatusOf(e);
            throw;
        }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (http.Request.Path.StartsWithSegments("/api") ? "unmatched" : "static");
            metrics.HttpRequest(http.Request.Method, route, failed ?? http.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }
}
