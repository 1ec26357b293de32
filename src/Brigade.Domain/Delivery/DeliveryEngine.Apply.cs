using Brigade.Geo;
using Brigade.Orders;

namespace Brigade.Delivery;

// The fold: order events give delivery its jobs; courier and delivery events move couriers.
// Apply is the only code that changes delivery state, so replaying the log rebuilds it.
public sealed partial class DeliveryEngine
{
    public void Apply(IDomainEvent e)
    {
        switch (e)
        {
            case OrderPlaced p when p.DeliverTo is { } to:
                _placed[p.OrderId] = (to, p.HandoffCode, p.At);
                break;
            case OrderAccepted a:
                OnAccepted(a);
                break;
            case Routing.OrderRerouted r when _jobs.TryGetValue(r.OrderId, out var moving):
                moving.OutletId = r.ToOutletId;
                moving.Pickup = _catalog.FindOutlet(r.ToOutletId)?.Location ?? moving.Pickup;
                moving.EstimatedReadyAt = r.EstimatedReadyAt;
                if (moving.State is JobState.Offered or JobState.Assigned) moving.Moved = true;
                RequestRound(r.At);
                break;
            case OrderEstimateUpdated u when _jobs.TryGetValue(u.OrderId, out var job):
                job.EstimatedReadyAt = u.EstimatedReadyAt;
                break;
            case OrderReady r when _jobs.TryGetValue(r.OrderId, out var job):
                job.ReadyAt = r.At;
                if (job.CourierId is { } id && _couriers.TryGetValue(id, out var waitingCourier)) SchedulePickup(waitingCourier);
                RequestRound(r.At);
                break;
            case OrderCancelled or OrderRejected or OrderFailed:
                DropJob(((IOrderEvent)e).OrderId, e.At);
                break;
            case CourierAssigned a:
                OnAssigned(a);
                break;
            case CourierUnassigned u:
                OnUnassigned(u);
                break;
            case OrderPickedUp p:
                OnPickedUp(p);
                break;
            case OrderDelivered d:
                OnDelivered(d);
                break;
            case CourierShiftStarted s:
                OnShiftStarted(s);
                break;
            case CourierShiftEnded x when _couriers.TryGetValue(x.CourierId, out var c):
                c.OnShift = false;
                c.Offer = null;
                c.Phase = CourierPhase.Idle;
                c.Version++;
                _index.Remove(c.Handle);
                break;
            case OfferMade o:
                OnOffered(o);
                break;
            case OfferAccepted a:
                OnOfferAccepted(a);
                break;
            case OfferDeclined d:
                OnDeclined(d);
                break;
            case CourierArrivedAtOutlet a when _couriers.TryGetValue(a.CourierId, out var c):
                c.Phase = CourierPhase.AtOutlet;
                c.Position = _catalog.FindOutlet(a.OutletId)?.Location ?? c.Position;
                c.PositionAt = a.At;
                c.ArrivedAt = a.At;
                c.Version++;
                SchedulePickup(c);
                break;
        }
    }

    private void OnAccepted(OrderAccepted a)
    {
        var outlet = _catalog.FindOutlet(a.OutletId);
        if (outlet is null) return;
        if (_jobs.TryGetValue(a.OrderId, out var existing))
        {
            // Accepted again by another outlet (re-routed): the pickup moves with it.
            existing.OutletId = outlet.Id;
            existing.Pickup = outlet.Location;
            existing.EstimatedReadyAt = a.EstimatedReadyAt;
            return;
        }
        if (!_placed.Remove(a.OrderId, out var placed)) return; // pickup order: no courier needed
        _jobs[a.OrderId] = new Job
        {
            OrderId = a.OrderId,
            OutletId = outlet.Id,
            Pickup = outlet.Location,
            Dropoff = placed.Dropoff,
            PlacedAt = placed.PlacedAt,
            HandoffCode = placed.Code,
            EstimatedReadyAt = a.EstimatedReadyAt,
        };
    }

    private void DropJob(string orderId, DateTimeOffset at)
    {
        _placed.Remove(orderId);
        if (!_jobs.Remove(orderId, out var job)) return;
        if (job.State == JobState.Offered) RequestRound(at); // which withdraws the offer if nothing is left in it
        if (job.CourierId is null || !_couriers.TryGetValue(job.CourierId, out var c)) return;
        c.Jobs.Remove(job);
        // A human courier is where they last reported, as of then: losing the order says nothing new about them.
        if (c.Jobs.Count == 0) BecomeIdle(c, at, c.Simulated ? c.PositionAt_(at) : c.Position, seenAt: c.PositionAt);
    }

    private void OnShiftStarted(CourierShiftStarted s)
    {
        if (!_couriers.TryGetValue(s.CourierId, out var c))
            _couriers[s.CourierId] = c = new Courier { Id = s.CourierId, Handle = _handles.GetOrAdd(s.CourierId) };
        c.Name = s.Name;
        c.Simulated = s.Simulated;
        c.OnShift = true;
        c.Position = new GeoPoint(s.Lat, s.Lon);
        c.PositionAt = s.At;
        c.Phase = CourierPhase.Idle;
        c.ShiftStartedAt = s.At;
        c.FreeAt = s.At;
        c.BusyTime = TimeSpan.Zero;
        c.Version++;
        _index.Remove(c.Handle);
        _index.Update(c.Handle, s.Lat, s.Lon, s.At.UtcTicks);
        _index.SetAvailable(c.Handle, true);
        RequestRound(s.At);
    }

    private void OnOffered(OfferMade o)
    {
        if (long.TryParse(o.OfferId.AsSpan(4), out var seq) && seq > _offerSeq) _offerSeq = seq;
        if (!_couriers.TryGetValue(o.CourierId, out var c)) return;
        c.Offer = new Offer
        {
            Id = o.OfferId,
            CourierId = o.CourierId,
            OrderIds = o.OrderIds,
            OutletId = o.OutletId,
            DepartBy = o.DepartBy,
            PickupAt = o.PlannedPickupAt,
            ExpiresAt = o.ExpiresAt,
            PlannedDropoffs = o.PlannedDropoffAt,
        };
        c.Phase = CourierPhase.Offered;
        _index.SetAvailable(c.Handle, false);
        foreach (var id in o.OrderIds)
        {
            if (!_jobs.TryGetValue(id, out var job)) continue;
            job.State = JobState.Offered;
            job.OfferId = o.OfferId;
        }
        Schedule(DeliveryTimerKind.OfferExpiry, c, o.ExpiresAt, o.OfferId);
        if (c.Simulated) Schedule(DeliveryTimerKind.SimRespond, c, Min(o.At + SimulatedThinkTime, o.ExpiresAt), o.OfferId);
    }

    private void OnOfferAccepted(OfferAccepted a)
    {
        if (!_couriers.TryGetValue(a.CourierId, out var c) || c.Offer?.Id != a.OfferId) return;
        var offer = c.Offer;
        c.Offer = null;
        c.OutletId = offer.OutletId;
        c.Position = c.Simulated ? c.PositionAt_(a.At) : c.Position;
        c.PositionAt = a.At;
        c.Phase = CourierPhase.ToOutlet;
        c.Destination = _catalog.FindOutlet(offer.OutletId)!.Location;
        c.DepartAt = offer.DepartBy > a.At ? offer.DepartBy : a.At;
        c.ArriveAt = c.DepartAt + TimeSpan.FromSeconds(TravelSeconds(c.Position, c.Destination));
        c.FreeAt = offer.PlannedDropoffs.Count > 0 ? offer.PlannedDropoffs[^1] + _fleet.DropoffService / 2 : c.ArriveAt;
        c.BusyStart = a.At;
        c.Version++;
        if (c.Simulated) Schedule(DeliveryTimerKind.SimArrive, c, c.ArriveAt);
    }

    private void OnDeclined(OfferDeclined d)
    {
        if (!_couriers.TryGetValue(d.CourierId, out var c)) return;
        if (c.Offer?.Id == d.OfferId) c.Offer = null;
        if (d.Reason == OfferDeclined.ByCourier) c.DeclinedOfferId = d.OfferId;
        foreach (var job in _jobs.Values)
        {
            if (job.OfferId != d.OfferId || job.State != JobState.Offered) continue;
            job.State = JobState.Waiting;
            job.OfferId = null;
        }
        if (c.Jobs.Count == 0)
        {
            c.Phase = CourierPhase.Idle;
            if (c.OnShift) _index.SetAvailable(c.Handle, true);
        }
        if (d.TurnedDown) c.CoolOffUntil = d.At + DeclineCoolOff;
        RequestRound(d.At);
    }

    private void OnAssigned(CourierAssigned a)
    {
        if (!_jobs.TryGetValue(a.OrderId, out var job) || !_couriers.TryGetValue(a.CourierId, out var c)) return;
        job.State = JobState.Assigned;
        job.CourierId = c.Id;
        job.OfferId = a.OfferId;
        job.PlannedDropoffAt = a.EstimatedDeliveryAt;
        if (!c.Jobs.Contains(job)) c.Jobs.Add(job);
    }

    private void OnUnassigned(CourierUnassigned u)
    {
        if (!_jobs.TryGetValue(u.OrderId, out var job)) return;
        job.State = JobState.Waiting;
        job.CourierId = null;
        job.OfferId = null;
        if (!_couriers.TryGetValue(u.CourierId, out var c)) return;
        c.Jobs.Remove(job);
        if (c.Jobs.Count == 0) BecomeIdle(c, u.At, c.Simulated ? c.PositionAt_(u.At) : c.Position, seenAt: c.PositionAt);
        RequestRound(u.At);
    }

    private void OnPickedUp(OrderPickedUp p)
    {
        if (!_jobs.TryGetValue(p.OrderId, out var job) || !_couriers.TryGetValue(p.CourierId, out var c)) return;
        job.State = JobState.PickedUp;
        if (c.Jobs.Any(j => j.State != JobState.PickedUp)) return;
        // Everything collected: ride to the first customer after the handover.
        Ride(c, from: job.Pickup, departAt: p.At + _fleet.PickupService / 2, to: c.Jobs[0].Dropoff, seenAt: p.At);
    }

    private void OnDelivered(OrderDelivered d)
    {
        if (!_jobs.Remove(d.OrderId, out var job) || !_couriers.TryGetValue(d.CourierId, out var c)) return;
        c.Jobs.Remove(job);
        c.Delivered++;
        var leave = d.At + _fleet.DropoffService / 2;
        if (c.Jobs.Count > 0) Ride(c, from: job.Dropoff, departAt: leave, to: c.Jobs[0].Dropoff, seenAt: d.At);
        else BecomeIdle(c, leave, job.Dropoff, seenAt: d.At);
    }

    /// <param name="seenAt">When the courier was at <paramref name="from"/>: the event's time. A human courier's
    /// position is stamped with it, not with the later departure, or their own reports until then would count as
    /// out of date and be ignored.</param>
    private void Ride(Courier c, GeoPoint from, DateTimeOffset departAt, GeoPoint to, DateTimeOffset seenAt)
    {
        c.Phase = CourierPhase.ToCustomer;
        SetPosition(c, from, c.Simulated ? departAt : seenAt);
        c.Destination = to;
        c.DepartAt = departAt;
        c.ArriveAt = departAt + TimeSpan.FromSeconds(TravelSeconds(from, to));
        c.Version++;
        if (c.Simulated) Schedule(DeliveryTimerKind.SimDrop, c, c.ArriveAt + _fleet.DropoffService / 2);
    }

    /// <param name="seenAt">When the courier was at <paramref name="where"/>, if earlier than <paramref name="at"/> (see <see cref="Ride"/>).</param>
    private void BecomeIdle(Courier c, DateTimeOffset at, GeoPoint where, DateTimeOffset? seenAt = null)
    {
        if (c.Jobs.Count == 0 && c.BusyStart != default)
        {
            c.BusyTime += at > c.BusyStart ? at - c.BusyStart : TimeSpan.Zero;
            c.BusyStart = default;
        }
        c.Phase = CourierPhase.Idle;
        c.OutletId = null;
        var stamp = c.Simulated ? at : seenAt ?? at;
        SetPosition(c, where, stamp);
        c.FreeAt = at;
        c.Version++;
        if (c.OnShift)
        {
            _index.Update(c.Handle, where.Lat, where.Lon, stamp.UtcTicks);
            _index.SetAvailable(c.Handle, c.Offer is null);
        }
        RequestRound(at);
    }

    /// <summary>Moves the courier to a known position, unless a human courier has since reported a newer one.</summary>
    private static void SetPosition(Courier c, GeoPoint where, DateTimeOffset at)
    {
        if (!c.Simulated && at < c.PositionAt) return;
        c.Position = where;
        c.PositionAt = at;
    }

    /// <summary>A simulated courier at the outlet collects once every order of its bundle is ready, after half the pickup service.</summary>
    private void SchedulePickup(Courier c)
    {
        if (!c.Simulated || c.Phase != CourierPhase.AtOutlet || c.Jobs.Count == 0) return;
        if (c.Jobs.Any(j => j.ReadyAt is null)) return; // the last OrderReady schedules it
        var at = c.ArrivedAt + _fleet.PickupService / 2;
        foreach (var j in c.Jobs)
            if (j.ReadyAt > at) at = j.ReadyAt.Value;
        Schedule(DeliveryTimerKind.SimPickup, c, at);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
