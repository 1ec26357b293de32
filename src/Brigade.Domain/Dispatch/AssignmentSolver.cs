namespace Brigade.Dispatch;

/// <summary>
/// Exact minimum-cost rectangular assignment over sparse candidate edges.
/// </summary>
/// <remarks>
/// <para><b>Problem.</b> Rows (jobs) and columns (couriers) with integer edge costs
/// <c>c(i, j)</c> given only for candidate pairs. Each row is either assigned to at most one
/// column over one of its edges, or left unassigned at a cost <c>u(i)</c> of its own. Each
/// column takes at most one row. Minimise the sum of edge costs plus unassigned costs.</para>
/// <para><b>Reduction.</b> Give every row <c>i</c> a private "unassigned" column <c>m + i</c> with
/// cost <c>u(i)</c>. Every row then has a free column it alone can use, so a complete assignment
/// of rows always exists and the problem is an ordinary rectangular assignment over
/// <c>m + n</c> columns. Making <c>u(i)</c> larger than any edge cost makes the optimum
/// maximise the number of assigned rows first.</para>
/// <para><b>Algorithm.</b> Successive shortest augmenting paths with column potentials
/// (Jonker-Volgenant, sparse form, as LAPJVsp). Rows are inserted one at a time. For the
/// inserted row, Dijkstra runs over columns with reduced costs
/// <c>c(i, j) - v(j) - u_i</c>, where <c>u_i = c(i, col(i)) - v(col(i))</c> for an assigned row
/// (the matched edge is tight). The invariant "every reduced cost is non-negative" makes
/// Dijkstra exact; the first free column popped ends the path. After augmenting, the potentials
/// of the columns finalised before the sink drop by <c>d(sink) - d(j)</c> (Johnson's
/// re-weighting, shifted by a constant), which keeps every reduced cost non-negative and the new
/// matched edges tight. With integer costs every step is exact, so the result is optimal.</para>
/// <para><b>Cost.</b> One Dijkstra per row, each touching only the columns it reaches before
/// the first free one: O(n (E + V) log V) worst case, usually far less because most rows find a
/// free column in one or two steps. Buffers are kept between calls: no allocation once warm.
/// Ties break on column index, so the result is deterministic. Not thread-safe.</para>
/// </remarks>
public sealed class AssignmentSolver
{
    private const long Infinity = long.MaxValue / 4;

    // Per column (m real + n private "unassigned" columns).
    private long[] _potential = [];
    private long[] _dist = [];
    private int[] _columnRow = [];
    private int[] _predRow = [];
    private long[] _predCost = [];
    private bool[] _final = [];
    private int[] _touched = [];

    // Per row.
    private int[] _rowColumn = [];
    private long[] _rowCost = [];

    // Binary min-heap of (distance, column) with lazy deletion.
    private long[] _heapKey = [];
    private int[] _heapColumn = [];
    private int _heapSize;

    /// <summary>
    /// Solves the problem given in compressed sparse row form: the edges of row <c>i</c> are
    /// <c>edgeColumn[rowStart[i]..rowStart[i+1]]</c> with costs <c>edgeCost[...]</c>.
    /// Writes the chosen column of every row to <paramref name="rowToColumn"/>, or -1 when the
    /// row is left unassigned, and returns the total cost (edges plus unassigned costs).
    /// </summary>
    public long Solve(
        int columnCount,
        ReadOnlySpan<int> rowStart,
        ReadOnlySpan<int> edgeColumn,
        ReadOnlySpan<long> edgeCost,
        ReadOnlySpan<long> unassignedCost,
        Span<int> rowToColumn)
    {
        var rows = rowStart.Length - 1;
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columnCount);
        if (unassignedCost.Length < rows || rowToColumn.Length < rows)
        {
            throw new ArgumentException("unassignedCost and rowToColumn need one entry per row.");
        }

        if (edgeColumn.Length < rowStart[rows] || edgeCost.Length < rowStart[rows])
        {
            throw new ArgumentException("rowStart points past the edge arrays.");
        }

        var columns = columnCount + rows;
        EnsureCapacity(rows, columns);
        Array.Clear(_potential, 0, columns);
        Array.Fill(_columnRow, -1, 0, columns);
        Array.Fill(_dist, Infinity, 0, columns);
        Array.Clear(_final, 0, columns);

        for (var r = 0; r < rows; r++)
        {
            for (var e = rowStart[r]; e < rowStart[r + 1]; e++)
            {
                var c = edgeColumn[e];
                if ((uint)c >= (uint)columnCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(edgeColumn), $"Edge of row {r} names column {c}, outside 0..{columnCount - 1}.");
                }
            }

            Augment(r, columnCount, rowStart, edgeColumn, edgeCost, unassignedCost);
        }

        long total = 0;
        for (var r = 0; r < rows; r++)
        {
            var c = _rowColumn[r];
            rowToColumn[r] = c < columnCount ? c : -1;
            total += _rowCost[r];
        }

        return total;
    }

    /// <summary>Inserts row <paramref name="source"/> with one shortest augmenting path.</summary>
    private void Augment(
        int source,
        int m,
        ReadOnlySpan<int> rowStart,
        ReadOnlySpan<int> edgeColumn,
        ReadOnlySpan<long> edgeCost,
        ReadOnlySpan<long> unassignedCost)
    {
        var touchedCount = 0;
        _heapSize = 0;

        // Edges out of the source row: its reduced costs are c - v with u(source) = 0. They may be
        // negative; that is harmless because they all leave the single source.
        for (var e = rowStart[source]; e < rowStart[source + 1]; e++)
        {
            Relax(edgeColumn[e], edgeCost[e] - _potential[edgeColumn[e]], source, edgeCost[e], ref touchedCount);
        }

        var own = m + source;
        Relax(own, unassignedCost[source] - _potential[own], source, unassignedCost[source], ref touchedCount);

        int sink;
        long sinkDist;
        while (true)
        {
            // The source's own unassigned column is always free, so the heap never runs dry
            // before a sink is found.
            var (d, j) = PopMin();
            if (_final[j] || d != _dist[j])
            {
                continue;
            }

            _final[j] = true;
            var i = _columnRow[j];
            if (i < 0)
            {
                sink = j;
                sinkDist = d;
                break;
            }

            // Row i holds column j over a tight edge: u_i = c(i, j) - v(j).
            var ui = _rowCost[i] - _potential[j];
            for (var e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                var k = edgeColumn[e];
                if (!_final[k])
                {
                    Relax(k, d + edgeCost[e] - _potential[k] - ui, i, edgeCost[e], ref touchedCount);
                }
            }

            var iOwn = m + i;
            if (!_final[iOwn])
            {
                Relax(iOwn, d + unassignedCost[i] - _potential[iOwn] - ui, i, unassignedCost[i], ref touchedCount);
            }
        }

        // Re-weight: v(j) += d(j) - d(sink) for every column finalised before the sink.
        for (var t = 0; t < touchedCount; t++)
        {
            var j = _touched[t];
            if (_final[j] && j != sink)
            {
                _potential[j] += _dist[j] - sinkDist;
            }
        }

        // Flip the path: walk back from the sink, moving each row onto the column it reached;
        // the column a row gives up is the one the previous row on the path takes.
        var col = sink;
        while (true)
        {
            var row = _predRow[col];
            var previous = row == source ? -1 : _rowColumn[row];
            _columnRow[col] = row;
            _rowColumn[row] = col;
            _rowCost[row] = _predCost[col];
            if (previous < 0)
            {
                break;
            }

            col = previous;
        }

        for (var t = 0; t < touchedCount; t++)
        {
            var j = _touched[t];
            _dist[j] = Infinity;
            _final[j] = false;
        }
    }

    private void Relax(int column, long distance, int fromRow, long cost, ref int touchedCount)
    {
        var current = _dist[column];
        if (distance >= current)
        {
            return;
        }

        if (current == Infinity)
        {
            _touched[touchedCount++] = column;
        }

        _dist[column] = distance;
        _predRow[column] = fromRow;
        _predCost[column] = cost;
        Push(distance, column);
    }

    private void Push(long key, int column)
    {
        if (_heapSize == _heapKey.Length)
        {
            Array.Resize(ref _heapKey, _heapKey.Length * 2);
            Array.Resize(ref _heapColumn, _heapColumn.Length * 2);
        }

        var i = _heapSize++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(key, column, _heapKey[parent], _heapColumn[parent]))
            {
                break;
            }

            _heapKey[i] = _heapKey[parent];
            _heapColumn[i] = _heapColumn[parent];
            i = parent;
        }

        _heapKey[i] = key;
        _heapColumn[i] = column;
    }

    private (long Key, int Column) PopMin()
    {
        var top = (_heapKey[0], _heapColumn[0]);
        var last = --_heapSize;
        var key = _heapKey[last];
        var column = _heapColumn[last];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= last)
            {
                break;
            }

            if (child + 1 < last && Less(_heapKey[child + 1], _heapColumn[child + 1], _heapKey[child], _heapColumn[child]))
            {
                child++;
            }

            if (!Less(_heapKey[child], _heapColumn[child], key, column))
            {
                break;
            }

            _heapKey[i] = _heapKey[child];
            _heapColumn[i] = _heapColumn[child];
            i = child;
        }

        if (last > 0)
        {
            _heapKey[i] = key;
            _heapColumn[i] = column;
        }

        return top;
    }

    private static bool Less(long keyA, int columnA, long keyB, int columnB) =>
        keyA < keyB || (keyA == keyB && columnA < columnB);

    private void EnsureCapacity(int rows, int columns)
    {
        if (_potential.Length < columns)
        {
            var size = Math.Max(columns, _potential.Length * 2);
            _potential = new long[size];
            _dist = new long[size];
            _columnRow = new int[size];
            _predRow = new int[size];
            _predCost = new long[size];
            _final = new bool[size];
            _touched = new int[size];
        }

        if (_rowColumn.Length < rows)
        {
            var size = Math.Max(rows, _rowColumn.Length * 2);
            _rowColumn = new int[size];
            _rowCost = new long[size];
        }

        if (_heapKey.Length < 64)
        {
            _heapKey = new long[64];
            _heapColumn = new int[64];
        }
    }
}
