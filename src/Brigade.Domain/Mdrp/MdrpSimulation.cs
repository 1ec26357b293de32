using Brigade.Dispatch;

namespace Brigade.Mdrp;

/// <summary>How the online dispatcher is run over an instance.</summary>
public sealed record MdrpPolicy
{
    /// <summary>Minutes between decision rounds.</summary>
    public int IntervalMinutes { get; init; } = 1;

    /// <summary>Matcher weights and limits. Service times, the click-to-door target and the
    /// commit window are taken from the instance and the interval.</summary>
    public MatcherOptions Matcher { get; init; } = new();

    /// <summary>Cost, in seconds of delay, of one extra dollar of courier pay: steers orders to
    /// couriers still below their guaranteed pay, where an order costs nothing extra.</summary>
    public double SecondsPerDollar { get; init; } = 0;

    public MatcherOptions MatcherFor(MdrpParameters p) => Matcher with
    {
        PickupServiceSeconds = p.PickupServiceMinutes * 60,
        DropoffServiceSeconds = p.DropoffServiceMinutes * 60,
        TargetClickToDoorSeconds = p.TargetClickToDoor * 60,
        CommitWindowSeconds = IntervalMinutes * 60,
    };
}

/// <summary>The outcome of one simulated day.</summary>
public sealed record MdrpRun(MdrpSolution Solution, int Rounds, int Undelivered);

/// <summary>
/// Discrete-event simulation of one instance in virtual minutes. The full instance stays here
/// (the "world"); the dispatcher only ever receives an order at its placement time and a courier
/// at its on-time, through <see cref="MdrpDispatcher"/>'s reveal methods, so it cannot use
/// information from the future. Every instruction it gives is executed by the rules and rejected
/// loudly if it breaks one.
/// </summary>
public static class MdrpSimulation
{
    /// <param name="observer">Optional: sees every round's plan (time in minutes).</param>
    public static MdrpRun Run(MdrpInstance instance, MdrpPolicy policy, Action<double, MatchPlan>? observer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.IntervalMinutes, 1);
        var orders = instance.Orders;
        var couriers = instance.Couriers;
        var orderQueue = Enumerable.Range(0, orders.Count).OrderBy(i => orders[i].PlacementTime).ThenBy(i => i).ToArray();
        var courierQueue = Enumerable.Range(0, couriers.Count).OrderBy(i => couriers[i].OnTime).ThenBy(i => i).ToArray();
        var dispatcher = new MdrpDispatcher(instance.Parameters, instance.Restaurants, policy) { Observer = observer };
        var world = new MdrpWorld(instance);

        if (orders.Count == 0 || couriers.Count == 0)
        {
            return new MdrpRun(world.ToSolution(), 0, orders.Count);
        }

        var start = Math.Floor(Math.Min(orders[orderQueue[0]].PlacementTime, couriers[courierQueue[0]].OnTime));
        var lastPickup = couriers.Max(c => c.OffTime);
        int nextOrder = 0, nextCourier = 0, rounds = 0;
        for (var now = start; now <= lastPickup; now++)
        {
            while (nextOrder < orderQueue.Length && orders[orderQueue[nextOrder]].PlacementTime <= now)
            {
                var i = orderQueue[nextOrder++];
                dispatcher.OrderPlaced(i, orders[i], now);
            }

            while (nextCourier < courierQueue.Length && couriers[courierQueue[nextCourier]].OnTime <= now)
            {
                var i = courierQueue[nextCourier++];
                dispatcher.CourierOnline(i, couriers[i], now);
            }

            if ((now - start) % policy.IntervalMinutes != 0 || dispatcher.PendingCount == 0)
            {
                continue;
            }

            rounds++;
            foreach (var instruction in dispatcher.Decide(now))
            {
                var pickup = world.Execute(now, instruction);
                if (pickup != instruction.PlannedPickup)
                {
                    throw new InvalidOperationException(
                        $"Dispatcher planned pickup at {instruction.PlannedPickup} but the rules give {pickup} (courier {couriers[instruction.Courier].Id}).");
                }
            }

            if (nextOrder == orderQueue.Length && dispatcher.PendingCount == 0)
            {
                break;
            }
        }

        return new MdrpRun(world.ToSolution(), rounds, orders.Count - world.AssignedCount);
    }
}

/// <summary>An instruction from the dispatcher: this courier sets off at this time to collect
/// these orders (one restaurant) and deliver them in this sequence.</summary>
public sealed record MdrpInstruction(int Courier, int[] Orders, double DepartAt, double PlannedPickup);

/// <summary>
/// The online dispatcher. It is built from public knowledge only (parameters, restaurants) and
/// learns orders and couriers solely through <see cref="OrderPlaced"/> and
/// <see cref="CourierOnline"/>, which refuse anything from the future. Its view of each courier
/// comes from the instructions it has given.
/// </summary>
public sealed class MdrpDispatcher
{
    private readonly MdrpParameters _parameters;
    private readonly IReadOnlyList<MdrpRestaurant> _restaurants;
    private readonly MdrpPolicy _policy;
    private readonly Matcher _matcher;
    private readonly List<(int Index, MdrpOrder Order)> _pending = [];
    private readonly List<CourierView> _couriers = [];
    private readonly Dictionary<int, int> _courierSlot = [];
    private DispatchOrder[] _orderBuffer = [];
    private DispatchCourier[] _courierBuffer = [];
    private double _now = double.MinValue;

    public MdrpDispatcher(MdrpParameters parameters, IReadOnlyList<MdrpRestaurant> restaurants, MdrpPolicy policy)
    {
        _parameters = parameters;
        _restaurants = restaurants;
        _policy = policy;
        _matcher = new Matcher(policy.MatcherFor(parameters), new MdrpTravel(parameters.MetersPerMinute), new GridCourierCandidates());
    }

    public int PendingCount => _pending.Count;

    /// <summary>Sees each round's full plan (committed and tentative), time in minutes.</summary>
    public Action<double, MatchPlan>? Observer { get; init; }

    public void OrderPlaced(int index, MdrpOrder order, double now)
    {
        Advance(now);
        if (order.PlacementTime > now)
        {
            throw new InvalidOperationException($"Order {order.Id} revealed at {now}, before its placement at {order.PlacementTime}.");
        }

        _pending.Add((index, order));
    }

    public void CourierOnline(int index, MdrpCourier courier, double now)
    {
        Advance(now);
        if (courier.OnTime > now)
        {
            throw new InvalidOperationException($"Courier {courier.Id} revealed at {now}, before its on-time {courier.OnTime}.");
        }

        _courierSlot[index] = _couriers.Count;
        _couriers.Add(new CourierView(index, courier, courier.Start, courier.OnTime, 0));
    }

    /// <summary>One decision round: returns the assignments that must start now.</summary>
    public List<MdrpInstruction> Decide(double now)
    {
        Advance(now);
        var instructions = new List<MdrpInstruction>();
        if (_pending.Count == 0)
        {
            return instructions;
        }

        if (_orderBuffer.Length < _pending.Count)
        {
            _orderBuffer = new DispatchOrder[Math.Max(_pending.Count, _orderBuffer.Length * 2)];
        }

        for (var i = 0; i < _pending.Count; i++)
        {
            var (index, o) = _pending[i];
            _orderBuffer[i] = new DispatchOrder(index, o.Restaurant, _restaurants[o.Restaurant].Position, o.Dropoff, o.PlacementTime * 60, o.ReadyTime * 60);
        }

        if (_courierBuffer.Length < _couriers.Count)
        {
            _courierBuffer = new DispatchCourier[Math.Max(_couriers.Count, _courierBuffer.Length * 2)];
        }

        var n = 0;
        foreach (var c in _couriers)
        {
            if (now > c.Courier.OffTime)
            {
                continue;
            }

            _courierBuffer[n++] = new DispatchCourier(
                c.Index, c.Position, c.FreeAt * 60, c.Courier.OffTime * 60, true, MarginalPayCost(c));
        }

        var plan = _matcher.Match(now * 60, _orderBuffer.AsSpan(0, _pending.Count), _courierBuffer.AsSpan(0, n));
        Observer?.Invoke(now, plan);
        foreach (var a in plan.Assignments)
        {
            if (!a.CommitNow)
            {
                continue;
            }

            var courier = (int)a.CourierId;
            var orderIndexes = Array.ConvertAll(a.OrderIds, id => (int)id);
            instructions.Add(new MdrpInstruction(courier, orderIndexes, a.DepartAt / 60, a.PickupAt / 60));
            var slot = _courierSlot[courier];
            var view = _couriers[slot];
            var last = _pending.Find(p => p.Index == orderIndexes[^1]).Order;
            _couriers[slot] = view with { Position = last.Dropoff, FreeAt = a.FreeAt / 60, Delivered = view.Delivered + orderIndexes.Length };
            _pending.RemoveAll(p => Array.IndexOf(orderIndexes, p.Index) >= 0);
        }

        return instructions;
    }

    /// <summary>Pay is max(per order × delivered, hourly guarantee × shift): an order costs
    /// nothing extra until the courier's deliveries pass the guarantee, then a full per-order fee.</summary>
    private double MarginalPayCost(CourierView c)
    {
        if (_policy.SecondsPerDollar <= 0)
        {
            return 0;
        }

        var guarantee = _parameters.GuaranteedPayPerHour * c.Courier.ShiftHours;
        var before = Math.Max(_parameters.PayPerOrder * c.Delivered, guarantee);
        var after = Math.Max(_parameters.PayPerOrder * (c.Delivered + 1), guarantee);
        return (after - before) * _policy.SecondsPerDollar;
    }

    private void Advance(double now)
    {
        if (now < _now)
        {
            throw new InvalidOperationException($"Time went backwards: {now} after {_now}.");
        }

        _now = now;
    }

    private sealed record CourierView(int Index, MdrpCourier Courier, Dispatch.Position Position, double FreeAt, int Delivered);
}

/// <summary>Executes instructions by the rules of the problem and records the solution.</summary>
internal sealed class MdrpWorld
{
    private readonly MdrpInstance _instance;
    private readonly string[] _place;
    private readonly double[] _free;
    private readonly List<MdrpMoveRecord>[] _moves;
    private readonly MdrpOrderRecord?[] _delivered;
    private readonly List<MdrpAssignmentRecord> _assignments = [];

    public MdrpWorld(MdrpInstance instance)
    {
        _instance = instance;
        var n = instance.Couriers.Count;
        _place = new string[n];
        _free = new double[n];
        _moves = new List<MdrpMoveRecord>[n];
        for (var i = 0; i < n; i++)
        {
            _place[i] = MdrpSolution.StartPoint;
            _free[i] = instance.Couriers[i].OnTime;
            _moves[i] = [];
        }

        _delivered = new MdrpOrderRecord?[instance.Orders.Count];
    }

    public int AssignedCount { get; private set; }

    /// <summary>Carries out one instruction; returns the pickup time.</summary>
    public double Execute(double now, MdrpInstruction instruction)
    {
        var p = _instance.Parameters;
        var courier = _instance.Couriers[instruction.Courier];
        var c = instruction.Courier;
        if (instruction.Orders.Length == 0)
        {
            throw new InvalidOperationException("Empty bundle.");
        }

        if (courier.OnTime > now)
        {
            throw new InvalidOperationException($"Courier {courier.Id} used at {now} before its on-time.");
        }

        if (instruction.DepartAt < now || instruction.DepartAt < _free[c])
        {
            throw new InvalidOperationException($"Courier {courier.Id} told to leave at {instruction.DepartAt}, but it is {now} and it is busy until {_free[c]}.");
        }

        var restaurant = _instance.Orders[instruction.Orders[0]].Restaurant;
        double ready = double.MinValue;
        foreach (var o in instruction.Orders)
        {
            var order = _instance.Orders[o];
            if (_delivered[o] is not null || order.PlacementTime > now || order.Restaurant != restaurant)
            {
                throw new InvalidOperationException($"Order {order.Id} cannot be assigned at {now} in this bundle.");
            }

            ready = Math.Max(ready, order.ReadyTime);
        }

        var r = _instance.Restaurants[restaurant];
        var here = CurrentPosition(c);
        var arrival = instruction.DepartAt + _instance.Travel.Minutes(here, r.Position);
        var pickup = Math.Max(ready, arrival + (p.PickupServiceMinutes / 2));
        if (pickup > courier.OffTime)
        {
            throw new InvalidOperationException($"Courier {courier.Id} would collect at {pickup}, after its off-time {courier.OffTime}.");
        }

        _moves[c].Add(new MdrpMoveRecord(courier.Id, instruction.DepartAt, _place[c], r.Id));
        _place[c] = r.Id;
        var leave = pickup + (p.PickupServiceMinutes / 2);
        var previous = r.Position;
        var ids = new string[instruction.Orders.Length];
        for (var k = 0; k < instruction.Orders.Length; k++)
        {
            var o = instruction.Orders[k];
            var order = _instance.Orders[o];
            ids[k] = order.Id;
            _moves[c].Add(new MdrpMoveRecord(courier.Id, leave, _place[c], order.Id));
            var drop = leave + _instance.Travel.Minutes(previous, order.Dropoff) + (p.DropoffServiceMinutes / 2);
            _delivered[o] = new MdrpOrderRecord(order.Id, order.PlacementTime, order.ReadyTime, pickup, drop, courier.Id);
            leave = drop + (p.DropoffServiceMinutes / 2);
            _place[c] = order.Id;
            previous = order.Dropoff;
        }

        _free[c] = leave;
        AssignedCount += instruction.Orders.Length;
        _assignments.Add(new MdrpAssignmentRecord(now, pickup, courier.Id, ids));
        return pickup;
    }

    public MdrpSolution ToSolution()
    {
        var solution = new MdrpSolution();
        solution.Assignments.AddRange(_assignments);
        foreach (var o in _delivered)
        {
            if (o is not null)
            {
                solution.Orders.Add(o);
            }
        }

        foreach (var list in _moves)
        {
            solution.Moves.AddRange(list);
        }

        return solution;
    }

    private Dispatch.Position CurrentPosition(int c)
    {
        var place = _place[c];
        if (place == MdrpSolution.StartPoint)
        {
            return _instance.Couriers[c].Start;
        }

        return _instance.OrderIndex.TryGetValue(place, out var o)
            ? _instance.Orders[o].Dropoff
            : _instance.Restaurants[_instance.RestaurantIndex[place]].Position;
    }
}
