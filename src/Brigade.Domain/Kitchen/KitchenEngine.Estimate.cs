using Brigade.Orders;

namespace Brigade.Kitchen;

// A quick, allocation-free estimate for routing: the router asks every outlet of a restaurant
// "when could you have this ready?" for each order, so it must cost well under a microsecond.
public sealed partial class KitchenEngine
{
    /// <summary>
    /// One menu item's shape at this outlet, computed once: the critical path of one unit (its
    /// steps in a row), the chef work it puts on each station, and whether it uses equipment;
    /// twice, for when a prepped component in stock lets a step be skipped and when it does not.
    /// The critical path is kept in two parts, as admission reckons it: equipment time, which runs
    /// at the machine's pace, and the chefs' hands-on work per station, which runs at the pace of
    /// the station's crew (their mean speed), so the router and admission agree for fast or slow chefs.
    /// </summary>
    private sealed class ItemProfile
    {
        public required int[] Components;              // the components whose steps the "with stock" variant skips (one entry per step)
        public required long[] ChainEquipment;         // [full, with stock]: equipment time along one unit's steps
        public required long[][] ChainWork;            // [variant][station]: hands-on work along one unit's steps
        public required long[][] WorkByStation;        // [variant][station]: chef time (hands-on, plus attended equipment)
        public required int[] FirstStation;            // [full, with stock]: the station of the first step left, or -1
        public required int[] Equipment;               // equipment used by the item (any step)
    }

    private Dictionary<string, ItemProfile>? _profiles;

    private Dictionary<string, ItemProfile> Profiles()
    {
        if (_profiles is not null) return _profiles;
        var profiles = new Dictionary<string, ItemProfile>(StringComparer.Ordinal);
        foreach (var item in Outlet.Restaurant.Menu)
        {
            var components = new List<int>();
            var chainEquipment = new long[2];
            var chainWork = new[] { new long[_stations.Length], new long[_stations.Length] };
            var work = new[] { new long[_stations.Length], new long[_stations.Length] };
            var equipment = new List<int>();
            int[] first = [-1, -1];
            for (var variant = 0; variant < 2; variant++)
            {
                foreach (var step in item.Steps)
                {
                    if (variant == 1 && step.Produces is not null && _componentIndex.TryGetValue(step.Produces, out var ci))
                    {
                        components.Add(ci);
                        continue;
                    }
                    var s = _stationIndex[step.Station];
                    if (first[variant] < 0) first[variant] = s;
                    chainEquipment[variant] += step.EquipmentTime.Ticks;
                    chainWork[variant][s] += step.Work.Ticks;
                    work[variant][s] += step.ChefTime.Ticks;
                    if (variant == 0 && step.Equipment is not null) equipment.Add(_equipmentIndex[step.Equipment]);
                }
            }
            profiles[item.Id] = new ItemProfile
            {
                Components = components.ToArray(),
                ChainEquipment = chainEquipment,
                ChainWork = chainWork,
                WorkByStation = work,
                FirstStation = first,
                Equipment = equipment.Distinct().ToArray(),
            };
        }
        return _profiles = profiles;
    }

    /// <summary>
    /// When this kitchen could have these lines ready, from the same fluid model as admission but
    /// from precomputed item profiles: O(lines + stations), no allocation. Null when it cannot cook
    /// them (no chef at a station, every unit of needed equipment broken, an unknown item).
    /// O(lines × stations) with the chain's per-station term; stations are a handful.
    /// </summary>
    public DateTimeOffset? FastEstimate(IReadOnlyList<OrderLine> lines, DateTimeOffset now)
    {
        var profiles = Profiles();
        var t = now.UtcTicks;
        var n = _stations.Length;
        Span<long> own = n <= 32 ? stackalloc long[n] : new long[n];
        var ready = t;
        // Stock the lines before have counted on is not there for the next (two lines of one item).
        Span<int> spare = _components.Length <= 64 ? stackalloc int[_components.Length] : new int[_components.Length];
        _stock.AsSpan().CopyTo(spare);
        foreach (var line in lines)
        {
            if (!profiles.TryGetValue(line.MenuItemId, out var p)) return null;
            // The "with stock" variant skips every step a component can replace, so it holds only when the
            // stock covers each of them for the whole line: an item of two components with one of them on
            // the shelf still has the other's step to cook, and admission will count it.
            var variant = 0;
            if (p.Components.Length > 0)
            {
                var covered = true;
                foreach (var c in p.Components)
                    if ((spare[c] -= line.Quantity) < 0) covered = false;
                if (covered) variant = 1;
                else foreach (var c in p.Components) spare[c] += line.Quantity;
            }
            var work = p.WorkByStation[variant];
            for (var s = 0; s < n; s++) own[s] += work[s] * line.Quantity;
            var start = t;
            var firstStation = p.FirstStation[variant];
            if (firstStation >= 0)
            {
                var capacity = CachedCapacity(firstStation);
                if (capacity <= 0) return null;
                start += (long)(StationLoad(firstStation, t) / capacity);
            }
            foreach (var e in p.Equipment)
            {
                var slots = _equipment[e].WorkingSlots();
                if (slots == 0) return null;
                start = Math.Max(start, t + EquipmentLoad(e, t) / slots);
            }
            var chain = p.ChainEquipment[variant];
            var chainWork = p.ChainWork[variant];
            for (var s = 0; s < n; s++)
                if (chainWork[s] != 0) chain += (long)(chainWork[s] / CachedMeanSpeed(s));
            ready = Math.Max(ready, start + chain);
        }
        for (var s = 0; s < n; s++)
        {
            if (own[s] == 0) continue;
            var capacity = CachedCapacity(s);
            if (capacity <= 0) return null;
            ready = Math.Max(ready, t + (long)((StationLoad(s, t) + own[s]) / capacity));
        }
        return At(ready);
    }

    /// <summary>
    /// Chef time a station owes before it can start something new: its backlog of unstarted order
    /// tasks, plus what is left of the tasks its chefs are working on now (each one's expected end,
    /// summed, minus now for each: O(1)). Without the second term a busy kitchen looks idle to the
    /// estimate for as long as its current tasks take.
    /// </summary>
    private long StationLoad(int station, long now)
    {
        var s = _stations[station];
        return s.BacklogTicks + (s.Busy == 0 ? 0 : Math.Max(0, s.BusyEndSum - s.Busy * (now - _epoch)));
    }

    /// <summary>Equipment time owed: the backlog of unstarted tasks plus what is left on the slots in use.</summary>
    private long EquipmentLoad(int equipment, long now)
    {
        var e = _equipment[equipment];
        return e.BacklogTicks + (e.InUse == 0 ? 0 : Math.Max(0, e.InUseEndSum - e.InUse * (now - _epoch)));
    }

    private double[]? _capacity;
    private double[]? _meanSpeed;
    private long _capacityVersion = -1;

    /// <summary>Crew capacity per station (the sum of its chefs' speeds), recomputed only when the kitchen's state has changed since.</summary>
    private double CachedCapacity(int station)
    {
        RefreshCapacity();
        return _capacity![station];
    }

    /// <summary>The mean speed of a station's crew, as admission takes it (1 with no crew).</summary>
    private double CachedMeanSpeed(int station)
    {
        RefreshCapacity();
        return _meanSpeed![station];
    }

    private void RefreshCapacity()
    {
        if (_capacity is not null && _capacityVersion == Version) return;
        _capacity ??= new double[_stations.Length];
        _meanSpeed ??= new double[_stations.Length];
        for (var s = 0; s < _stations.Length; s++)
        {
            _capacity[s] = Capacity(s, out var crew);
            _meanSpeed[s] = crew > 0 ? _capacity[s] / crew : 1;
        }
        _capacityVersion = Version;
    }

    /// <summary>Orders here none of whose tasks has started, oldest first: what can still move to another outlet.</summary>
    public IReadOnlyList<string> UnstartedOrders() =>
        _orders.Values.Where(o => !o.Started).OrderBy(o => o.Seq).Select(o => o.Id).ToList();
}
