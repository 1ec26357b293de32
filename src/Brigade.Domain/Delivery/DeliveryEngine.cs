using System.Globalization;
using Brigade.Catalog;
using Brigade.Dispatch;
using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Delivery;

/// <summary>
/// Delivery: couriers on shift, their positions in the geo index, offers, and the road from the
/// outlet to the customer's door. It learns about orders only from order events (accepted, estimate
/// updated, ready, cancelled, failed) and never touches a kitchen; the kitchen never hears of it.
/// <para>
/// Pure, like the kitchen: decisions take the time as an argument and emit events through the
/// engine, <see cref="Apply"/> is the fold. A rolling-horizon round runs every
/// <see cref="FleetSpec.RoundInterval"/> and soon after an order becomes ready or a courier comes
/// free; it solves the assignment with <see cref="Matcher"/> over candidates from the geo index and
/// offers the assignments that are due now. Simulated couriers answer offers and ride on the same
/// clock, by timers; human couriers act through the courier API.
/// </para>
/// </summary>
public sealed partial class DeliveryEngine
{
    /// <summary>Epoch of the matcher's timeline (seconds since it).</summary>
    private static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan SimulatedThinkTime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DeclineCoolOff = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RoundDebounce = TimeSpan.FromSeconds(1);

    private readonly Action<List<IDomainEvent>, IDomainEvent> _emit;
    private readonly RestaurantCatalog _catalog;
    private readonly FleetSpec _fleet;
    private readonly LocalProjection _projection;
    private readonly Matcher _matcher;
    private readonly GeoIndexCandidates _candidates;
    private readonly GeoIndex _index;
    private readonly CourierHandles _handles = new();
    private readonly Dictionary<string, Courier> _couriers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (GeoPoint Dropoff, string? Code, DateTimeOffset PlacedAt)> _placed = new(StringComparer.Ordinal);
    private readonly PriorityQueue<DeliveryTimer, (long Due, long Seq)> _timers = new();
    private long _timerSeq;
    private long _offerSeq;
    private DateTimeOffset _nextRoundAt = DateTimeOffset.MaxValue;
    private readonly Dictionary<string, TimeSpan?> _courierEta = new(StringComparer.Ordinal);
    private DateTimeOffset _lastRoundAt;
    private readonly Neighbour[] _one = new Neighbour[1];
    private bool _started;

    /// <param name="emit">How a decision records an event: the composing engine applies it everywhere and appends it to the decision's output.</param>
    public DeliveryEngine(RestaurantCatalog catalog, Action<List<IDomainEvent>, IDomainEvent> emit)
    {
        _catalog = catalog;
        _fleet = catalog.Fleet;
        _emit = emit;
        _projection = new LocalProjection(_fleet.Centre);
        _index = new GeoIndex(new GeoIndexOptions { StaleAfter = _fleet.StaleAfter, InitialCapacity = Math.Max(64, _fleet.SimulatedCouriers * 2) });
        _candidates = new GeoIndexCandidates(_index, _projection, radiusMetres: 15_000);
        var round = _fleet.RoundInterval.TotalSeconds;
        _matcher = new Matcher(new MatcherOptions
        {
            CommitWindowSeconds = round,
            PickupServiceSeconds = _fleet.PickupService.TotalSeconds,
            DropoffServiceSeconds = _fleet.DropoffService.TotalSeconds,
            MaxBundleSize = _fleet.MaxBundleSize,
            CandidatesPerPickup = 16,
        }, new StraightLineTravel(_fleet.SpeedMetresPerSecond, _fleet.DetourFactor), _candidates);
    }

    public FleetSpec Fleet => _fleet;
    public GeoIndex Index => _index;
    public int CouriersOnShift => _couriers.Values.Count(c => c.OnShift);
    public int WaitingOrders => _jobs.Values.Count(j => j.State == JobState.Waiting);

    /// <summary>When delivery next needs <see cref="Advance"/>: a round, an offer expiring, a simulated courier's next move.</summary>
    public DateTimeOffset NextDueAt
    {
        get
        {
            var due = _started ? _nextRoundAt : DateTimeOffset.MinValue;
            if (_timers.TryPeek(out _, out var key) && key.Due < due.UtcTicks) due = new DateTimeOffset(key.Due, TimeSpan.Zero);
            return due;
        }
    }

    // ------------------------------------------------------------------ the clock

    /// <summary>Run delivery up to <paramref name="now"/>: each timer and round at its own time, in order.</summary>
    public void Advance(DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_started)
        {
            _started = true;
            StartSimulatedCouriers(now, output);
            _nextRoundAt = now;
        }
        while (true)
        {
            var hasTimer = _timers.TryPeek(out var timer, out var key);
            var timerDue = hasTimer ? new DateTimeOffset(key.Due, TimeSpan.Zero) : DateTimeOffset.MaxValue;
            if (_nextRoundAt <= now && _nextRoundAt <= timerDue)
            {
                var at = _nextRoundAt;
                _nextRoundAt = at + _fleet.RoundInterval;
                Round(at, output);
                continue;
            }
            if (!hasTimer || timerDue > now) break;
            _timers.Dequeue();
            Fire(timer, timerDue, output);
        }
    }

    private void Fire(DeliveryTimer timer, DateTimeOffset at, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(timer.CourierId, out var courier)) return;
        switch (timer.Kind)
        {
            case DeliveryTimerKind.OfferExpiry when courier.Offer?.Id == timer.OfferId:
                _emit(output, new OfferDeclined(courier.Id, timer.OfferId!, OfferDeclined.Expired, at));
                break;
            case DeliveryTimerKind.SimRespond when courier.Offer?.Id == timer.OfferId:
                if (Declines(timer.OfferId!)) _emit(output, new OfferDeclined(courier.Id, timer.OfferId!, OfferDeclined.ByCourier, at));
                else Accept(courier, courier.Offer!, at, output);
                break;
            case DeliveryTimerKind.SimArrive when courier.Version == timer.Version && courier.Phase == CourierPhase.ToOutlet:
                _emit(output, new CourierArrivedAtOutlet(courier.Id, courier.OutletId!, at));
                break;
            case DeliveryTimerKind.SimPickup when courier.Version == timer.Version && courier.Phase == CourierPhase.AtOutlet:
                if (courier.Jobs.Count > 0 && courier.Jobs.All(j => j.ReadyAt is not null && j.State == JobState.Assigned))
                    foreach (var job in courier.Jobs.ToList()) _emit(output, new OrderPickedUp(job.OrderId, courier.Id, at));
                break;
            case DeliveryTimerKind.SimDrop when courier.Version == timer.Version && courier.Phase == CourierPhase.ToCustomer && courier.Jobs.Count > 0:
                _emit(output, new OrderDelivered(courier.Jobs[0].OrderId, courier.Id, at));
                break;
        }
    }

    /// <summary>A simulated courier declines a share of offers: decided by a hash of the offer, so replays agree.</summary>
    private bool Declines(string offerId)
    {
        if (_fleet.SimulatedDeclineRate <= 0) return false;
        var h = 2166136261u;
        foreach (var ch in offerId) h = (h ^ ch) * 16777619u;
        return h % 10_000 < _fleet.SimulatedDeclineRate * 10_000;
    }

    private void StartSimulatedCouriers(DateTimeOffset now, List<IDomainEvent> output)
    {
        // Spread over a sunflower (Vogel) spiral around the centre: even density, fixed per index.
        var golden = Math.PI * (3 - Math.Sqrt(5));
        for (var i = 0; i < _fleet.SimulatedCouriers; i++)
        {
            var id = $"sim-{i + 1:000}";
            if (_couriers.TryGetValue(id, out var existing) && existing.OnShift) continue;
            var r = _fleet.RadiusMetres * Math.Sqrt((i + 0.5) / _fleet.SimulatedCouriers);
            var p = _projection.ToGeo(new Position(r * Math.Cos(i * golden), r * Math.Sin(i * golden)));
            _emit(output, new CourierShiftStarted(id, $"Rider {i + 1}", true, Math.Round(p.Lat, 6), Math.Round(p.Lon, 6), now));
        }
    }

    // ------------------------------------------------------------------ the matcher round

    /// <summary>
    /// One decision round: every waiting order against every courier who could take it (idle now,
    /// or finishing a job), solved optimally by the matcher; the assignments it says are due now
    /// become offers. Later ones are only a plan, re-decided next round with fresher estimates.
    /// </summary>
    /// <summary>Instrumentation the host may attach: it times the matcher. It never affects a decision.</summary>
    public IDispatchProbe? Probe { get; set; }

    private void Round(DateTimeOffset now, List<IDomainEvent> output)
    {
        ReleaseMovedJobs(now, output);
        _courierEta.Clear(); // courier availability is recomputed lazily, as of this round
        _lastRoundAt = now;
        var nowTicks = now.UtcTicks;
        // A simulated courier reports no positions: an idle one is where it stopped, as of now. Every round,
        // orders or not, or a quiet spell would leave them all stale and the router would see no courier.
        foreach (var c in _couriers.Values)
            if (c.Simulated && c.OnShift && c.Jobs.Count == 0) _index.Update(c.Handle, c.Position.Lat, c.Position.Lon, nowTicks);
        var waiting = new List<Job>();
        foreach (var j in _jobs.Values)
            if (j.State == JobState.Waiting) waiting.Add(j);
        if (waiting.Count == 0) return;

        var roster = new List<Courier>();
        foreach (var c in _couriers.Values)
        {
            if (!c.OnShift || c.Offer is not null || c.CoolOffUntil > now) continue;
            if (c.Jobs.Count == 0 && !_index.IsAvailable(c.Handle)) continue;
            if (c.Jobs.Count == 0 && (!_index.TryGetPosition(c.Handle, out _, out var seen) || now.UtcTicks - seen > _fleet.StaleAfter.Ticks)) continue;
            if (c.Jobs.Count > 0 && c.Phase != CourierPhase.ToCustomer) continue;
            // Finishing a job is planned from when it should end. One past that time (a handover running late or
            // not confirmed) has no known end: planned as free now, it would win orders it can never be offered, and
            // hold them from free couriers until it delivers.
            if (c.Jobs.Count > 0 && c.FreeAt <= now) continue;
            roster.Add(c);
        }
        if (roster.Count == 0) return;

        var orders = new DispatchOrder[waiting.Count];
        for (var i = 0; i < waiting.Count; i++)
        {
            var j = waiting[i];
            orders[i] = new DispatchOrder(i, OutletKey(j.OutletId), _projection.ToPlanar(j.Pickup), _projection.ToPlanar(j.Dropoff),
                Seconds(j.PlacedAt), Seconds(j.ReadyOrEstimate));
        }
        var couriers = new DispatchCourier[roster.Count];
        for (var i = 0; i < roster.Count; i++)
        {
            var c = roster[i];
            var (free, where) = c.Jobs.Count == 0 ? (now, c.Position) : (c.FreeAt, c.Jobs[^1].Dropoff);
            couriers[i] = new DispatchCourier(c.Handle, _projection.ToPlanar(where), Seconds(free), Seconds(now) + 1e7);
        }

        _candidates.Begin(nowTicks);
        var started = Probe?.Timestamp() ?? 0;
        var plan = _matcher.Match(Seconds(now), orders, couriers);
        Probe?.Matched(Probe.Timestamp() - started, orders.Length, couriers.Length);
        foreach (var a in plan.Due)
        {
            var courier = roster.First(c => c.Handle == a.CourierId);
            if (courier.Jobs.Count > 0) continue; // finishing a job: re-planned next round, once free
            var jobs = a.OrderIds.Select(i => waiting[(int)i]).ToList();
            var offerId = "ofr-" + (++_offerSeq).ToString(CultureInfo.InvariantCulture);
            _emit(output, new OfferMade(courier.Id, offerId, jobs.Select(j => j.OrderId).ToList(), jobs[0].OutletId,
                At(Math.Max(a.DepartAt, Seconds(now))), At(a.PickupAt), now + _fleet.OfferTimeout, now,
                a.DropoffAt.Select(At).ToList()));
        }
    }

    /// <summary>
    /// How soon the nearest free courier could reach the outlet, as of the last dispatch round, or
    /// null if none is near: the router's view of courier availability. Computed at most once per
    /// outlet per round (one geo query), so routing an order costs almost nothing.
    /// </summary>
    public TimeSpan? CourierEtaTo(string outletId)
    {
        if (_courierEta.TryGetValue(outletId, out var cached)) return cached;
        TimeSpan? eta = null;
        if (_catalog.FindOutlet(outletId) is { } outlet && _index.Nearest(outlet.Location.Lat, outlet.Location.Lon, 1, 20_000, _lastRoundAt.UtcTicks, _one) > 0)
            eta = TimeSpan.FromSeconds(_one[0].DistanceMetres * _fleet.DetourFactor / _fleet.SpeedMetresPerSecond);
        _courierEta[outletId] = eta;
        return eta;
    }

    /// <summary>
    /// Orders that moved to another outlet while a courier was offered or sent to the old one: release
    /// that courier. Offers whose every order was cancelled or failed meanwhile: withdraw them.
    /// </summary>
    private void ReleaseMovedJobs(DateTimeOffset now, List<IDomainEvent> output)
    {
        foreach (var job in _jobs.Values.Where(j => j.Moved).ToList())
        {
            job.Moved = false;
            if (job.CourierId is { } courierId && job.State == JobState.Assigned)
                _emit(output, new CourierUnassigned(job.OrderId, courierId, $"the order moved to {job.OutletId}", now));
            else if (job.State == JobState.Offered && job.OfferId is { } offerId && _couriers.Values.FirstOrDefault(c => c.Offer?.Id == offerId) is { } offered)
                _emit(output, new OfferDeclined(offered.Id, offerId, $"the order moved to {job.OutletId}", now));
        }
        foreach (var c in _couriers.Values)
            if (c.Offer is { } offer && !IsLive(offer))
                _emit(output, new OfferDeclined(c.Id, offer.Id, NothingLeft, now));
    }

    private const string NothingLeft = "its orders were cancelled or failed";

    /// <summary>Whether any order of the offer is still waiting for the courier's answer.</summary>
    private bool IsLive(Offer offer) =>
        offer.OrderIds.Any(id => _jobs.TryGetValue(id, out var j) && j.State == JobState.Offered && j.OfferId == offer.Id);

    private long OutletKey(string outletId)
    {
        var h = 1469598103934665603L;
        foreach (var ch in outletId) h = (h ^ ch) * 1099511628211L;
        return h;
    }

    private static double Seconds(DateTimeOffset t) => (t - Epoch).TotalSeconds;

    private static DateTimeOffset At(double seconds) => Epoch + TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private double TravelSeconds(GeoPoint a, GeoPoint b) =>
        GeoPoint.HaversineMetres(a, b) * _fleet.DetourFactor / _fleet.SpeedMetresPerSecond;

    // ------------------------------------------------------------------ courier commands

    /// <param name="simulated">The engine rides this courier itself (simulations, demos).</param>
    public DeliveryResult StartShift(string courierId, string name, double lat, double lon, DateTimeOffset now, List<IDomainEvent> output, bool simulated = false)
    {
        if (!CatalogCompiler.IsId(courierId)) return DeliveryResult.Invalid($"'{courierId}' is not a valid courier id ({CatalogCompiler.IdRule})");
        if (!GeoPoint.IsValid(lat, lon)) return DeliveryResult.Invalid($"({lat}, {lon}) is not a valid position");
        if (_couriers.TryGetValue(courierId, out var c) && c.OnShift) return DeliveryResult.Conflict($"{courierId} is already on shift");
        _emit(output, new CourierShiftStarted(courierId, name, simulated, lat, lon, now));
        RequestRound(now);
        return DeliveryResult.Ok();
    }

    public DeliveryResult EndShift(string courierId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c) || !c.OnShift) return DeliveryResult.Conflict($"{courierId} is not on shift");
        if (c.Jobs.Any(j => j.State == JobState.PickedUp)) return DeliveryResult.Conflict($"{courierId} still carries orders; deliver them first");
        if (c.Offer is { } offer) _emit(output, new OfferDeclined(courierId, offer.Id, "shift ended", now));
        foreach (var job in c.Jobs.ToList()) _emit(output, new CourierUnassigned(job.OrderId, courierId, "the courier went off shift", now));
        _emit(output, new CourierShiftEnded(courierId, "ended by the courier", now));
        RequestRound(now);
        return DeliveryResult.Ok();
    }

    /// <summary>How far ahead of the engine's clock a position may be stamped (a device's clock running a little fast).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A position report. Not an event (they come by the thousand): it moves the courier in the geo index only.
    /// One stamped further ahead of <paramref name="now"/> than <see cref="MaxClockSkew"/> is refused: taken, it
    /// would outrank every true report until that time came, leaving the courier pinned where it put them.
    /// </summary>
    public GeoUpdateResult ReportLocation(string courierId, double lat, double lon, DateTimeOffset at, DateTimeOffset now)
    {
        if (!_couriers.TryGetValue(courierId, out var c) || !c.OnShift) return GeoUpdateResult.RejectedInvalid;
        if (at > now + MaxClockSkew) return GeoUpdateResult.RejectedInvalid;
        var result = _index.Update(c.Handle, lat, lon, at.UtcTicks);
        if (result == GeoUpdateResult.Applied && !c.Simulated && at >= c.PositionAt)
        {
            c.Position = new GeoPoint(lat, lon);
            c.PositionAt = at;
        }
        return result;
    }

    public DeliveryResult AcceptOffer(string courierId, string offerId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c)) return DeliveryResult.NotFound($"no courier {courierId}");
        // The same accept again (a double tap, a retry after a lost answer): the courier holds its orders, so it is done.
        // Answered as "not open", the courier would believe the offer lost while its orders wait for them.
        if (c.Offer?.Id != offerId && c.Jobs.Any(j => j.OfferId == offerId)) return DeliveryResult.Ok();
        if (c.Offer?.Id != offerId) return DeliveryResult.Conflict($"offer {offerId} is not open for {courierId} (expired, declined or never made)");
        return Accept(c, c.Offer, now, output) ? DeliveryResult.Ok()
            : DeliveryResult.Conflict($"offer {offerId} was withdrawn: its orders were cancelled or failed");
    }

    public DeliveryResult DeclineOffer(string courierId, string offerId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c)) return DeliveryResult.NotFound($"no courier {courierId}");
        // The same decline again (a double tap, a retry after a lost answer): it is done and changes nothing.
        // Answered as "not open", the courier's app would report a failure for a decline that went through.
        if (c.DeclinedOfferId == offerId) return DeliveryResult.Ok();
        if (c.Offer?.Id != offerId) return DeliveryResult.Conflict($"offer {offerId} is not open for {courierId}");
        _emit(output, new OfferDeclined(courierId, offerId, OfferDeclined.ByCourier, now));
        RequestRound(now);
        return DeliveryResult.Ok();
    }

    /// <returns>False if none of the offer's orders is still waiting for it: the offer is withdrawn instead, and the courier stays free.</returns>
    private bool Accept(Courier c, Offer offer, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!IsLive(offer))
        {
            // Its orders ended before the round that would have withdrawn it.
            _emit(output, new OfferDeclined(c.Id, offer.Id, NothingLeft, now));
            return false;
        }
        _emit(output, new OfferAccepted(c.Id, offer.Id, now));
        for (var i = 0; i < offer.OrderIds.Count; i++)
        {
            // An order cancelled or failed since the offer was made is no longer a job: skip it.
            if (!_jobs.TryGetValue(offer.OrderIds[i], out var job) || job.State != JobState.Offered || job.OfferId != offer.Id) continue;
            _emit(output, new CourierAssigned(job.OrderId, c.Id, offer.Id, offer.PickupAt, offer.PlannedDropoffs[i], now));
        }
        return true;
    }

    public DeliveryResult ArriveAtOutlet(string courierId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c)) return DeliveryResult.NotFound($"no courier {courierId}");
        if (c.Phase == CourierPhase.AtOutlet) return DeliveryResult.Ok(); // said again: already there, nothing changes
        if (c.Phase != CourierPhase.ToOutlet) return DeliveryResult.Conflict($"{courierId} is not on the way to an outlet");
        _emit(output, new CourierArrivedAtOutlet(courierId, c.OutletId!, now));
        return DeliveryResult.Ok();
    }

    public DeliveryResult PickUp(string courierId, string orderId, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c)) return DeliveryResult.NotFound($"no courier {courierId}");
        var job = c.Jobs.FirstOrDefault(j => j.OrderId == orderId);
        if (job is null) return DeliveryResult.NotFound($"order {orderId} is not assigned to {courierId}");
        // The same pickup again (a double tap, a retry after a lost answer) is done already and changes nothing.
        if (job.State == JobState.PickedUp) return DeliveryResult.Ok();
        if (job.ReadyAt is null) return DeliveryResult.Conflict($"order {orderId} is not ready yet");
        if (c.Phase == CourierPhase.ToOutlet) _emit(output, new CourierArrivedAtOutlet(courierId, c.OutletId!, now));
        _emit(output, new OrderPickedUp(orderId, courierId, now));
        return DeliveryResult.Ok();
    }

    public DeliveryResult Deliver(string courierId, string orderId, string? handoffCode, DateTimeOffset now, List<IDomainEvent> output)
    {
        if (!_couriers.TryGetValue(courierId, out var c)) return DeliveryResult.NotFound($"no courier {courierId}");
        var job = c.Jobs.FirstOrDefault(j => j.OrderId == orderId);
        if (job is null) return DeliveryResult.NotFound($"order {orderId} is not assigned to {courierId}");
        if (job.State != JobState.PickedUp) return DeliveryResult.Conflict($"order {orderId} has not been picked up");
        if (job.HandoffCode is not null && !string.Equals(job.HandoffCode, handoffCode?.Trim(), StringComparison.Ordinal))
            return DeliveryResult.Invalid("the handoff code does not match; ask the customer for the code shown in their tracking");
        // Delivering means the courier left the outlet. Orders of the bundle still waiting there are
        // not coming along: they go back to the pool for another courier, before the ride goes on
        // to the customers of the orders actually carried.
        foreach (var left in c.Jobs.Where(j => j.State != JobState.PickedUp).ToList())
            _emit(output, new CourierUnassigned(left.OrderId, courierId, "the courier left the outlet without it", now));
        _emit(output, new OrderDelivered(orderId, courierId, now));
        return DeliveryResult.Ok();
    }

    private void RequestRound(DateTimeOffset at)
    {
        var soon = at + RoundDebounce;
        if (soon < _nextRoundAt) _nextRoundAt = soon;
    }

    private void Schedule(DeliveryTimerKind kind, Courier c, DateTimeOffset due, string? offerId = null) =>
        _timers.Enqueue(new DeliveryTimer(kind, c.Id, c.Version, offerId), (due.UtcTicks, _timerSeq++));

    // ------------------------------------------------------------------ queries

    public CourierView? CourierOf(string courierId, DateTimeOffset now) => _couriers.TryGetValue(courierId, out var c) ? View(c, now) : null;

    public IEnumerable<CourierView> Couriers(DateTimeOffset now) => _couriers.Values.Where(c => c.OnShift).Select(c => View(c, now));

    public IEnumerable<DeliveryJobView> Jobs() => _jobs.Values.Select(j => new DeliveryJobView(j.OrderId, j.OutletId, j.Dropoff.Lat, j.Dropoff.Lon,
        j.State.ToString().ToLowerInvariant(), j.CourierId, j.ReadyOrEstimate, j.ReadyAt is not null));

    private CourierView View(Courier c, DateTimeOffset now)
    {
        var p = c.Simulated ? c.PositionAt_(now) : c.Position;
        var shift = now - c.ShiftStartedAt;
        var busy = c.BusyTime + (c.Jobs.Count > 0 ? now - c.BusyStart : TimeSpan.Zero);
        return new CourierView(c.Id, c.Name, c.Simulated, c.OnShift, c.Phase.ToString().ToLowerInvariant(), p.Lat, p.Lon, c.Simulated ? now : c.PositionAt,
            !c.Simulated && now - c.PositionAt > _fleet.StaleAfter,
            c.Offer is { } o ? new OfferView(o.Id, o.OrderIds, o.OutletId, o.DepartBy, o.PickupAt, o.ExpiresAt) : null,
            c.Jobs.Select(j => j.OrderId).ToList(), c.OutletId, c.Delivered,
            shift > TimeSpan.Zero ? Math.Clamp(100 * busy.TotalSeconds / shift.TotalSeconds, 0, 100) : 0);
    }

    /// <summary>Where the courier of an order is, and when it should be at the door.</summary>
    public Tracking? Track(string orderId, DateTimeOffset now)
    {
        if (!_jobs.TryGetValue(orderId, out var job) || job.CourierId is null || !_couriers.TryGetValue(job.CourierId, out var c)) return null;
        var position = c.Simulated ? c.PositionAt_(now) : c.Position;
        var t = now;
        var here = position;
        if (job.State != JobState.PickedUp)
        {
            var outlet = c.Jobs[0].Pickup;
            t += TimeSpan.FromSeconds(c.Phase == CourierPhase.AtOutlet ? 0 : TravelSeconds(here, outlet));
            var ready = c.Jobs.Max(j => j.ReadyOrEstimate);
            if (ready > t) t = ready;
            t += _fleet.PickupService;
            here = outlet;
        }
        foreach (var j in c.Jobs)
        {
            if (j.State != JobState.PickedUp && job.State == JobState.PickedUp) continue;
            t += TimeSpan.FromSeconds(TravelSeconds(here, j.Dropoff)) + _fleet.DropoffService / 2;
            here = j.Dropoff;
            if (j == job) break;
            t += _fleet.DropoffService / 2;
        }
        return new Tracking(orderId, c.Id, c.Phase.ToString().ToLowerInvariant(), position.Lat, position.Lon, t, Math.Max(0, (t - now).TotalSeconds));
    }

    /// <summary>Orders out with a courier, for tracking pushes.</summary>
    public IEnumerable<string> AssignedOrders() => _jobs.Values.Where(j => j.CourierId is not null).Select(j => j.OrderId);
}
