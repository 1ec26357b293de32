namespace Brigade.Dispatch;

/// <summary>
/// One rolling-horizon decision step: bundles pending orders of the same outlet where that pays,
/// prices each (bundle, courier) candidate by the customer delay it causes plus the courier time
/// it uses, solves the assignment exactly, and says which assignments are due now.
/// </summary>
/// <remarks>
/// <para><b>Timing.</b> For bundle B at outlet R and courier c free at <c>a = max(now, freeAt)</c>,
/// <c>tau</c> = travel to R, the courier sets off at
/// <c>depart = max(a, ready(B) - pickupService/2 - tau)</c>, i.e. as late as still collects the
/// food the moment it is ready, and never before it is free. Then
/// <c>pickup = max(ready(B), depart + tau + pickupService/2)</c>, and drop-off k happens at
/// <c>pickup + off(k)</c>, with <c>off(k) = pickupService/2 + sum of legs up to k + (2k - 1)
/// dropoffService/2</c>. An assignment is committed only when <c>depart</c> falls before the
/// next round; later ones stay tentative and are re-decided with fresher information.</para>
/// <para><b>Cost</b> (seconds of customer delay, integer for an exact solve):
/// <c>DelayWeight * sum_k (drop(k) - ideal(k))</c>, where <c>ideal(k) = ready(k) +
/// pickupService/2 + direct(k) + dropoffService/2</c> is the floor for that order; plus
/// <c>OverTargetWeight * sum_k max(0, drop(k) - placed(k) - target)</c>; plus
/// <c>TravelWeight * (tau + service + route)</c>, the courier time used; plus
/// <c>IdleWeight * (depart - a)</c>, the time a free courier is held back for this job (so a
/// courier that comes free just in time is preferred to one idling now); plus the courier's own
/// per-order cost. Leaving a bundle out this round costs its sunk cost (what it costs whoever
/// serves it), an aging term, and a flat penalty that is large when the bundle is urgent and
/// small when it can wait (see <see cref="UnassignedCost"/>).</para>
/// <para><b>Bundling.</b> Start from singletons and solve. Then, per outlet, price every merge
/// of two bundles (delivery sequence by cheapest insertion, which for a shared pickup minimises
/// the sum of drop-off offsets) on each candidate courier; a courier held by another bundle
/// displaces it, which then pays its unassigned cost. Merges that lower the total are applied
/// greedily, largest gain first, and the assignment is solved again. This bundles exactly when orders outnumber the
/// couriers that can serve them well (the Reyes et al. ratio rule falls out of the prices), and
/// each pass can only lower the optimum: the old solution with the merged bundle on the priced
/// courier (and the displaced bundle left out) stays feasible.</para>
/// <para>Deterministic: same inputs in the same order give the same plan. Not thread-safe: keep
/// one matcher per thread. Buffers are reused between calls.</para>
/// </remarks>
public sealed class Matcher
{
    private const int MaxRowsPerOutletForMerging = 24;

    private readonly MatcherOptions _options;
    private readonly ITravelTime _travel;
    private readonly ICourierCandidates _candidates;
    private readonly AssignmentSolver _solver = new();
    private readonly double _halfPickup;
    private readonly double _halfDropoff;
    private readonly int _maxBundle;
    private readonly int _k;
    private readonly OrderComparer _orderComparer;
    private readonly MergeComparer _mergeComparer;

    // Orders in the horizon, copied and sorted by (outlet, ready, id) so an outlet is a run.
    private DispatchOrder[] _orders = [];
    private DispatchOrder[] _sortedBuffer = [];
    private int[] _orderOrder = [];
    private double[] _direct = [];
    private int _orderCount;

    private DispatchCourier[] _couriers = [];
    private int _courierCount;
    private int[] _courierRow = [];

    // Outlets: run of sorted orders, and their k nearest couriers with travel times.
    private int[] _groupFirst = [];
    private int[] _groupLength = [];
    private int[] _groupCandidates = [];
    private double[] _groupTravel = [];
    private int[] _groupCandidateCount = [];
    private int _groupCount;

    // Bundles ("rows"): up to _maxBundle orders each, in delivery sequence.
    private int[] _rowGroup = [];
    private int[] _rowOrders = [];
    private double[] _rowOffset = [];
    private int[] _rowSize = [];
    private double[] _rowReady = [];
    private double[] _rowLatency = [];
    private double[] _rowRoute = [];
    private double[] _rowIdeal = [];
    private int[] _rowColumn = [];
    private long[] _rowCost = [];
    private long[] _rowUnassigned = [];
    private int _rowCount;

    // Solver input (CSR over live rows).
    private int[] _liveRows = [];
    private int[] _rowStart = [];
    private int[] _edgeColumn = [];
    private long[] _edgeCost = [];
    private long[] _unassigned = [];
    private int[] _solution = [];

    // Merge candidates of one pass.
    private long[] _mergeGain = [];
    private int[] _mergeA = [];
    private int[] _mergeB = [];
    private int[] _mergeIndex = [];
    private bool[] _rowTouched = [];
    private readonly int[] _scratchSequence;

    public Matcher(MatcherOptions options, ITravelTime travel, ICourierCandidates? candidates = null)
    {
        options.Validate();
        _options = options;
        _travel = travel;
        _candidates = candidates ?? new GridCourierCandidates();
        _halfPickup = options.PickupServiceSeconds / 2;
        _halfDropoff = options.DropoffServiceSeconds / 2;
        _maxBundle = options.MaxBundleSize;
        _k = options.CandidatesPerPickup;
        _scratchSequence = new int[2 * _maxBundle];
        _orderComparer = new OrderComparer(this);
        _mergeComparer = new MergeComparer(this);
    }

    public MatcherOptions Options => _options;

    /// <summary>
    /// Plans the assignment of <paramref name="orders"/> (every order still waiting for a
    /// courier) to <paramref name="couriers"/> at time <paramref name="now"/>. Only the
    /// assignments marked <see cref="DispatchAssignment.CommitNow"/> should be carried out; call
    /// again next round with the remaining orders and the updated couriers.
    /// </summary>
    public MatchPlan Match(double now, ReadOnlySpan<DispatchOrder> orders, ReadOnlySpan<DispatchCourier> couriers)
    {
        LoadCouriers(now, couriers);
        LoadOrders(now, orders);
        BuildGroups();
        BuildSingletonRows();

        var total = SolveRows(now);
        for (var pass = 0; pass < _options.BundlingPasses && _maxBundle > 1; pass++)
        {
            if (!MergePass(now))
            {
                break;
            }

            total = SolveRows(now);
        }

        return BuildPlan(now, total);
    }

    private void LoadCouriers(double now, ReadOnlySpan<DispatchCourier> couriers)
    {
        Grow(ref _couriers, couriers.Length);
        Grow(ref _courierRow, couriers.Length);
        var lookahead = now + _options.CourierLookaheadSeconds;
        var n = 0;
        for (var i = 0; i < couriers.Length; i++)
        {
            var c = couriers[i];
            if (c.CanPickUp && c.ShiftEndsAt >= now && c.FreeAt <= lookahead && c.FreeAt <= c.ShiftEndsAt)
            {
                _couriers[n++] = c;
            }
        }

        _courierCount = n;
        _candidates.Prepare(_couriers.AsSpan(0, n));
    }

    private void LoadOrders(double now, ReadOnlySpan<DispatchOrder> orders)
    {
        Grow(ref _orders, orders.Length);
        Grow(ref _orderOrder, orders.Length);
        var horizon = now + _options.HorizonSeconds;
        var n = 0;
        for (var i = 0; i < orders.Length; i++)
        {
            if (orders[i].ReadyAt <= horizon)
            {
                _orders[n] = orders[i];
                _orderOrder[n] = n;
                n++;
            }
        }

        _orderCount = n;
        Array.Sort(_orderOrder, 0, n, _orderComparer);

        // Apply the permutation so orders of one outlet are contiguous.
        Grow(ref _direct, n);
        Grow(ref _sortedBuffer, n);
        for (var i = 0; i < n; i++)
        {
            _sortedBuffer[i] = _orders[_orderOrder[i]];
        }

        (_orders, _sortedBuffer) = (_sortedBuffer, _orders);
        for (var i = 0; i < n; i++)
        {
            _direct[i] = _travel.Seconds(_orders[i].Pickup, _orders[i].Dropoff);
        }
    }

    private void BuildGroups()
    {
        Grow(ref _groupFirst, _orderCount);
        Grow(ref _groupLength, _orderCount);
        Grow(ref _groupCandidateCount, _orderCount);
        Grow(ref _groupCandidates, _orderCount * _k);
        Grow(ref _groupTravel, _orderCount * _k);
        var g = -1;
        for (var i = 0; i < _orderCount; i++)
        {
            if (g < 0 || _orders[i].OutletId != _orders[_groupFirst[g]].OutletId)
            {
                g++;
                _groupFirst[g] = i;
                _groupLength[g] = 0;
            }

            _groupLength[g]++;
        }

        _groupCount = g + 1;
        for (g = 0; g < _groupCount; g++)
        {
            var pickup = _orders[_groupFirst[g]].Pickup;
            var found = _candidates.Nearest(pickup, _groupCandidates.AsSpan(g * _k, _k));
            _groupCandidateCount[g] = found;
            for (var j = 0; j < found; j++)
            {
                var c = _groupCandidates[(g * _k) + j];
                _groupTravel[(g * _k) + j] = _travel.Seconds(_couriers[c].Position, pickup);
            }
        }
    }

    private void BuildSingletonRows()
    {
        var capacity = _orderCount + 1;
        Grow(ref _rowGroup, capacity);
        Grow(ref _rowOrders, capacity * _maxBundle);
        Grow(ref _rowOffset, capacity * _maxBundle);
        Grow(ref _rowSize, capacity);
        Grow(ref _rowReady, capacity);
        Grow(ref _rowLatency, capacity);
        Grow(ref _rowRoute, capacity);
        Grow(ref _rowIdeal, capacity);
        Grow(ref _rowColumn, capacity);
        Grow(ref _rowCost, capacity);
        Grow(ref _rowUnassigned, capacity);
        Grow(ref _rowTouched, capacity);
        _rowCount = 0;
        for (var g = 0; g < _groupCount; g++)
        {
            for (var i = _groupFirst[g]; i < _groupFirst[g] + _groupLength[g]; i++)
            {
                var r = _rowCount++;
                _rowGroup[r] = g;
                _rowOrders[r * _maxBundle] = i;
                _rowSize[r] = 1;
                ComputeRow(r);
            }
        }
    }

    /// <summary>Timeline of a bundle relative to its pickup instant.</summary>
    private void ComputeRow(int r)
    {
        var size = _rowSize[r];
        var baseIndex = r * _maxBundle;
        var t = _halfPickup;
        var previous = _orders[_rowOrders[baseIndex]].Pickup;
        double ready = double.MinValue, latency = 0, ideal = 0;
        for (var k = 0; k < size; k++)
        {
            var o = _rowOrders[baseIndex + k];
            ref readonly var order = ref _orders[o];
            t += k == 0 ? _direct[o] : _travel.Seconds(previous, order.Dropoff);
            var off = t + _halfDropoff;
            _rowOffset[baseIndex + k] = off;
            latency += off;
            t = off + _halfDropoff;
            previous = order.Dropoff;
            ready = Math.Max(ready, order.ReadyAt);
            ideal += order.ReadyAt + _halfPickup + _direct[o] + _halfDropoff;
        }

        _rowReady[r] = ready;
        _rowLatency[r] = latency;
        _rowRoute[r] = t;
        _rowIdeal[r] = ideal;
    }

    /// <summary>Prices row r on the courier at candidate slot j of its outlet. Returns false when
    /// the courier cannot collect before its shift ends.</summary>
    private bool Price(double now, int r, int courier, double tau, out long cost, out double depart, out double pickup)
    {
        ref readonly var c = ref _couriers[courier];
        var free = Math.Max(now, c.FreeAt);
        var ready = _rowReady[r];
        depart = Math.Max(free, ready - _halfPickup - tau);
        pickup = Math.Max(ready, depart + tau + _halfPickup);
        if (pickup > c.ShiftEndsAt)
        {
            cost = 0;
            return false;
        }

        var size = _rowSize[r];
        var baseIndex = r * _maxBundle;

        // Sum of drop-offs minus the sum of ideal drop-offs: size * pickup + latency - ideal.
        var delay = (size * pickup) + _rowLatency[r] - _rowIdeal[r];
        double over = 0;
        for (var k = 0; k < size; k++)
        {
            var clickToDoor = pickup + _rowOffset[baseIndex + k] - _orders[_rowOrders[baseIndex + k]].PlacedAt;
            over += Math.Max(0, clickToDoor - _options.TargetClickToDoorSeconds);
        }

        var value = (_options.DelayWeight * delay)
            + (_options.OverTargetWeight * over)
            + (_options.TravelWeight * (tau + _halfPickup + _rowRoute[r]))
            + (_options.IdleWeight * (depart - free))
            + (c.CostPerOrder * size);
        cost = (long)Math.Round(value);
        return true;
    }

    /// <summary>
    /// Cost of leaving row r out this round: the cost the row carries whoever serves it
    /// (collected at max(ready, now) by a courier already there: it is sunk, so serving and
    /// skipping are compared on avoidable cost only), plus an aging term per second each order
    /// has been ready, plus a flat penalty per order. Without the sunk part a late order would
    /// look ever costlier to serve than to skip and could starve while easier orders arrive.
    /// The flat penalty is large for an urgent row (its nearest courier must set off within
    /// <see cref="MatcherOptions.UrgentSlackSeconds"/>) and small for one that can wait: the
    /// assignment gives each courier one job, so a tentative plan for a later order would
    /// otherwise hold a courier that could serve an urgent order first and still make it.
    /// </summary>
    private long UnassignedCost(double now, int r)
    {
        var size = _rowSize[r];
        var baseIndex = r * _maxBundle;
        var pickup = Math.Max(_rowReady[r], now);
        var sunk = _options.DelayWeight * ((size * pickup) + _rowLatency[r] - _rowIdeal[r]);
        double waited = 0;
        for (var k = 0; k < size; k++)
        {
            ref readonly var order = ref _orders[_rowOrders[baseIndex + k]];
            var clickToDoor = pickup + _rowOffset[baseIndex + k] - order.PlacedAt;
            sunk += _options.OverTargetWeight * Math.Max(0, clickToDoor - _options.TargetClickToDoorSeconds);
            waited += Math.Max(0, now - order.ReadyAt);
        }

        var g = _rowGroup[r];
        var nearest = _groupCandidateCount[g] > 0 ? _groupTravel[g * _k] : 0;
        var slack = _rowReady[r] - _halfPickup - nearest - now;
        var flat = slack > _options.UrgentSlackSeconds ? _options.DeferrableCostSeconds : _options.UnassignedCostSeconds;
        return (long)Math.Round((flat * size) + sunk + (_options.WaitingWeight * waited));
    }

    private double TravelOf(int r, int courier)
    {
        var g = _rowGroup[r];
        for (var j = 0; j < _groupCandidateCount[g]; j++)
        {
            if (_groupCandidates[(g * _k) + j] == courier)
            {
                return _groupTravel[(g * _k) + j];
            }
        }

        throw new InvalidOperationException("Courier is not a candidate of the row's outlet.");
    }

    private long SolveRows(double now)
    {
        Grow(ref _liveRows, _rowCount);
        Grow(ref _rowStart, _rowCount + 1);
        Grow(ref _unassigned, _rowCount);
        Grow(ref _solution, _rowCount);
        Grow(ref _edgeColumn, _rowCount * _k);
        Grow(ref _edgeCost, _rowCount * _k);

        var live = 0;
        var edges = 0;
        for (var r = 0; r < _rowCount; r++)
        {
            if (_rowSize[r] == 0)
            {
                continue;
            }

            _liveRows[live] = r;
            _rowStart[live] = edges;
            _unassigned[live] = UnassignedCost(now, r);
            var g = _rowGroup[r];
            for (var j = 0; j < _groupCandidateCount[g]; j++)
            {
                var courier = _groupCandidates[(g * _k) + j];
                if (Price(now, r, courier, _groupTravel[(g * _k) + j], out var cost, out _, out _))
                {
                    _edgeColumn[edges] = courier;
                    _edgeCost[edges] = cost;
                    edges++;
                }
            }

            live++;
        }

        _rowStart[live] = edges;
        var total = _solver.Solve(
            _courierCount,
            _rowStart.AsSpan(0, live + 1),
            _edgeColumn.AsSpan(0, edges),
            _edgeCost.AsSpan(0, edges),
            _unassigned.AsSpan(0, live),
            _solution.AsSpan(0, live));

        Array.Fill(_courierRow, -1, 0, _courierCount);

        for (var s = 0; s < live; s++)
        {
            var r = _liveRows[s];
            var column = _solution[s];
            _rowColumn[r] = column;
            _rowUnassigned[r] = _unassigned[s];
            if (column < 0)
            {
                _rowCost[r] = _unassigned[s];
                continue;
            }

            _courierRow[column] = r;
            for (var e = _rowStart[s]; e < _rowStart[s + 1]; e++)
            {
                if (_edgeColumn[e] == column)
                {
                    _rowCost[r] = _edgeCost[e];
                    break;
                }
            }
        }

        return total;
    }

    /// <summary>One bundling pass; returns whether any merge was applied.</summary>
    private bool MergePass(double now)
    {
        var merges = 0;
        for (var g = 0; g < _groupCount; g++)
        {
            if (_groupLength[g] < 2)
            {
                continue;
            }

            // Rows of an outlet are contiguous in row order (merges keep the lower index).
            var first = FirstRowOfGroup(g);
            var examined = 0;
            for (var a = first; a < _rowCount && _rowGroup[a] == g && examined < MaxRowsPerOutletForMerging; a++)
            {
                if (_rowSize[a] == 0)
                {
                    continue;
                }

                examined++;
                for (var b = a + 1; b < _rowCount && _rowGroup[b] == g; b++)
                {
                    if (_rowSize[b] == 0 || _rowSize[a] + _rowSize[b] > _maxBundle || !WithinSpread(a, b))
                    {
                        continue;
                    }

                    var gain = BestMergeGain(now, a, b);
                    if (gain > 0)
                    {
                        GrowKeeping(ref _mergeGain, merges + 1);
                        GrowKeeping(ref _mergeA, merges + 1);
                        GrowKeeping(ref _mergeB, merges + 1);
                        GrowKeeping(ref _mergeIndex, merges + 1);
                        _mergeGain[merges] = gain;
                        _mergeA[merges] = a;
                        _mergeB[merges] = b;
                        _mergeIndex[merges] = merges;
                        merges++;
                    }
                }
            }
        }

        if (merges == 0)
        {
            return false;
        }

        // Largest gain first; ties by row indexes (deterministic).
        Array.Sort(_mergeIndex, 0, merges, _mergeComparer);

        Array.Clear(_rowTouched, 0, _rowCount);
        var applied = false;
        for (var m = 0; m < merges; m++)
        {
            var index = _mergeIndex[m];
            var a = _mergeA[index];
            var b = _mergeB[index];
            if (_rowTouched[a] || _rowTouched[b])
            {
                continue;
            }

            _rowTouched[a] = _rowTouched[b] = true;
            var size = MergedSequence(a, b);
            for (var k = 0; k < size; k++)
            {
                _rowOrders[(a * _maxBundle) + k] = _scratchSequence[k];
            }

            _rowSize[a] = size;
            _rowSize[b] = 0;
            ComputeRow(a);
            applied = true;
        }

        return applied;
    }

    private int FirstRowOfGroup(int g)
    {
        // Rows were created group by group; binary search the first row of group g.
        int lo = 0, hi = _rowCount;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_rowGroup[mid] < g)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private bool WithinSpread(int a, int b)
    {
        double min = double.MaxValue, max = double.MinValue;
        for (var k = 0; k < _rowSize[a]; k++)
        {
            var ready = _orders[_rowOrders[(a * _maxBundle) + k]].ReadyAt;
            min = Math.Min(min, ready);
            max = Math.Max(max, ready);
        }

        for (var k = 0; k < _rowSize[b]; k++)
        {
            var ready = _orders[_rowOrders[(b * _maxBundle) + k]].ReadyAt;
            min = Math.Min(min, ready);
            max = Math.Max(max, ready);
        }

        return max - min <= _options.MaxBundleReadySpreadSeconds;
    }

    /// <summary>
    /// Prices the merge of rows a and b (in the scratch row, index _rowCount) on each candidate
    /// courier of their outlet and returns the best change in total cost. A courier free or held
    /// by a or b costs nothing to take; one held by another row h displaces h, which then pays
    /// its unassigned cost instead: <c>gain = cost(a) + cost(b) + cost(h) - merged - unassigned(h)</c>.
    /// The re-solve that follows can only do better than this estimate.
    /// </summary>
    private long BestMergeGain(double now, int a, int b)
    {
        var size = MergedSequence(a, b);
        var scratch = _rowCount;
        _rowGroup[scratch] = _rowGroup[a];
        _rowSize[scratch] = size;
        for (var k = 0; k < size; k++)
        {
            _rowOrders[(scratch * _maxBundle) + k] = _scratchSequence[k];
        }

        ComputeRow(scratch);
        var g = _rowGroup[a];
        var parts = _rowCost[a] + _rowCost[b];
        var best = long.MinValue;
        for (var j = 0; j < _groupCandidateCount[g]; j++)
        {
            var courier = _groupCandidates[(g * _k) + j];
            if (!Price(now, scratch, courier, _groupTravel[(g * _k) + j], out var cost, out _, out _))
            {
                continue;
            }

            var holder = _courierRow[courier];
            var displaced = holder >= 0 && holder != a && holder != b ? _rowUnassigned[holder] - _rowCost[holder] : 0;
            best = Math.Max(best, parts - cost - displaced);
        }

        return best;
    }

    /// <summary>
    /// Cheapest insertion: b's orders, one at a time, go where they add least to the sum of
    /// drop-off offsets (all orders share the pickup instant, so that sum is the bundle's delay
    /// up to a constant). Writes the sequence to the scratch buffer and returns its length.
    /// </summary>
    private int MergedSequence(int a, int b)
    {
        var size = _rowSize[a];
        for (var k = 0; k < size; k++)
        {
            _scratchSequence[k] = _rowOrders[(a * _maxBundle) + k];
        }

        for (var i = 0; i < _rowSize[b]; i++)
        {
            var order = _rowOrders[(b * _maxBundle) + i];
            var bestPosition = size;
            var bestLatency = double.MaxValue;
            for (var position = 0; position <= size; position++)
            {
                var latency = SequenceLatency(order, position, size);
                if (latency < bestLatency)
                {
                    bestLatency = latency;
                    bestPosition = position;
                }
            }

            for (var k = size; k > bestPosition; k--)
            {
                _scratchSequence[k] = _scratchSequence[k - 1];
            }

            _scratchSequence[bestPosition] = order;
            size++;
        }

        return size;
    }

    /// <summary>Sum of drop-off offsets of the scratch sequence with <paramref name="order"/>
    /// inserted at <paramref name="position"/>.</summary>
    private double SequenceLatency(int order, int position, int size)
    {
        var t = _halfPickup;
        double latency = 0;
        var previous = _orders[order].Pickup;
        for (var k = 0; k <= size; k++)
        {
            var o = k == position ? order : _scratchSequence[k < position ? k : k - 1];
            var drop = _orders[o].Dropoff;
            t += k == 0 ? _direct[o] : _travel.Seconds(previous, drop);
            latency += t + _halfDropoff;
            t += 2 * _halfDropoff;
            previous = drop;
        }

        return latency;
    }

    private MatchPlan BuildPlan(double now, long total)
    {
        var assignments = new List<DispatchAssignment>();
        for (var r = 0; r < _rowCount; r++)
        {
            if (_rowSize[r] == 0 || _rowColumn[r] < 0)
            {
                continue;
            }

            var courier = _rowColumn[r];
            var tau = TravelOf(r, courier);
            Price(now, r, courier, tau, out var cost, out var depart, out var pickup);
            var size = _rowSize[r];
            var ids = new long[size];
            var drops = new double[size];
            for (var k = 0; k < size; k++)
            {
                ids[k] = _orders[_rowOrders[(r * _maxBundle) + k]].Id;
                drops[k] = pickup + _rowOffset[(r * _maxBundle) + k];
            }

            assignments.Add(new DispatchAssignment(
                _couriers[courier].Id,
                ids,
                depart,
                depart + tau,
                pickup,
                drops,
                pickup + _rowRoute[r],
                depart < now + _options.CommitWindowSeconds,
                cost));
        }

        return new MatchPlan(assignments, total, _orderCount, _courierCount);
    }

    /// <summary>Like <see cref="Grow{T}"/> but keeps the contents (for arrays filled while growing).</summary>
    private static void GrowKeeping<T>(ref T[] array, int size)
    {
        if (array.Length < size)
        {
            Array.Resize(ref array, Math.Max(size, array.Length * 2));
        }
    }

    /// <summary>Ensures capacity; the contents are not kept (callers overwrite them).</summary>
    private static void Grow<T>(ref T[] array, int size)
    {
        if (array.Length < size)
        {
            array = new T[Math.Max(size, array.Length * 2)];
        }
    }

    /// <summary>Sorts order slots by outlet, then ready time, then id, then input position.</summary>
    private sealed class OrderComparer(Matcher owner) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            ref readonly var a = ref owner._orders[x];
            ref readonly var b = ref owner._orders[y];
            var c = a.OutletId.CompareTo(b.OutletId);
            if (c != 0)
            {
                return c;
            }

            c = a.ReadyAt.CompareTo(b.ReadyAt);
            if (c != 0)
            {
                return c;
            }

            c = a.Id.CompareTo(b.Id);
            return c != 0 ? c : x.CompareTo(y);
        }
    }

    /// <summary>Sorts merge candidates by gain (largest first), then by row indexes.</summary>
    private sealed class MergeComparer(Matcher owner) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            var c = owner._mergeGain[y].CompareTo(owner._mergeGain[x]);
            if (c != 0)
            {
                return c;
            }

            c = owner._mergeA[x].CompareTo(owner._mergeA[y]);
            return c != 0 ? c : owner._mergeB[x].CompareTo(owner._mergeB[y]);
        }
    }
}
