namespace Brigade.Dispatch;

/// <summary>
/// Finds the couriers worth pricing for a pickup. The matcher calls <see cref="Prepare"/> once
/// per round with the couriers it considers, then <see cref="Nearest"/> once per outlet. A live
/// server backs this with its geo index; <see cref="GridCourierCandidates"/> and
/// <see cref="BruteForceCourierCandidates"/> are built in.
/// </summary>
public interface ICourierCandidates
{
    /// <summary>Index the couriers of this round; later indexes refer to this span.</summary>
    void Prepare(ReadOnlySpan<DispatchCourier> couriers);

    /// <summary>Writes the indexes of up to <c>result.Length</c> couriers nearest to
    /// <paramref name="point"/> (nearest first, ties by index) and returns how many.</summary>
    int Nearest(Position point, Span<int> result);
}

/// <summary>Reference implementation: scans every courier. Fine for a few hundred.</summary>
public sealed class BruteForceCourierCandidates : ICourierCandidates
{
    private Position[] _positions = [];
    private int _count;
    private double[] _bestDistance = [];

    public void Prepare(ReadOnlySpan<DispatchCourier> couriers)
    {
        if (_positions.Length < couriers.Length)
        {
            _positions = new Position[Math.Max(couriers.Length, _positions.Length * 2)];
        }

        _count = couriers.Length;
        for (var i = 0; i < couriers.Length; i++)
        {
            _positions[i] = couriers[i].Position;
        }
    }

    public int Nearest(Position point, Span<int> result)
    {
        if (_bestDistance.Length < result.Length)
        {
            _bestDistance = new double[result.Length];
        }

        var found = 0;
        for (var i = 0; i < _count; i++)
        {
            found = KBest.Offer(Position.DistanceSquared(point, _positions[i]), i, _bestDistance, result, found);
        }

        return found;
    }
}

/// <summary>
/// Uniform grid over the couriers' bounding box, sized for about four couriers per cell, with
/// the cells stored contiguously (counting sort). A query walks square rings of cells outwards
/// from the point's cell and stops once the next ring cannot hold anything closer than the
/// k-th best found: a cell in ring R is at least (R - 1) cell widths from any point of the
/// home cell (or beyond it, for a point outside the box).
/// </summary>
public sealed class GridCourierCandidates : ICourierCandidates
{
    private const double CouriersPerCell = 4;
    private const int MaxCellsPerAxis = 1024;

    private Position[] _positions = [];
    private int[] _cellOf = [];
    private int[] _cellStart = [];
    private int[] _items = [];
    private double[] _bestDistance = [];
    private double _minX;
    private double _minY;
    private double _cellSize = 1;
    private int _columns;
    private int _rows;
    private int _count;

    public void Prepare(ReadOnlySpan<DispatchCourier> couriers)
    {
        _count = couriers.Length;
        if (_positions.Length < _count)
        {
            var size = Math.Max(_count, _positions.Length * 2);
            _positions = new Position[size];
            _cellOf = new int[size];
            _items = new int[size];
        }

        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (var i = 0; i < _count; i++)
        {
            var p = couriers[i].Position;
            _positions[i] = p;
            minX = Math.Min(minX, p.X);
            minY = Math.Min(minY, p.Y);
            maxX = Math.Max(maxX, p.X);
            maxY = Math.Max(maxY, p.Y);
        }

        if (_count == 0)
        {
            _columns = _rows = 0;
            return;
        }

        // Cell area = box area / (n / CouriersPerCell), so a cell holds about four couriers.
        var width = Math.Max(maxX - minX, 1);
        var height = Math.Max(maxY - minY, 1);
        _cellSize = Math.Max(Math.Sqrt(width * height * CouriersPerCell / _count), 1);
        _cellSize = Math.Max(_cellSize, Math.Max(width, height) / MaxCellsPerAxis);
        _minX = minX;
        _minY = minY;
        _columns = (int)(width / _cellSize) + 1;
        _rows = (int)(height / _cellSize) + 1;
        var cells = _columns * _rows;
        if (_cellStart.Length < cells + 1)
        {
            _cellStart = new int[Math.Max(cells + 1, _cellStart.Length * 2)];
        }

        Array.Clear(_cellStart, 0, cells + 1);
        for (var i = 0; i < _count; i++)
        {
            var cell = CellIndex(_positions[i]);
            _cellOf[i] = cell;
            _cellStart[cell + 1]++;
        }

        for (var c = 0; c < cells; c++)
        {
            _cellStart[c + 1] += _cellStart[c];
        }

        // Stable fill: within a cell, couriers keep their input order (determinism).
        for (var i = 0; i < _count; i++)
        {
            var cell = _cellOf[i];
            _items[_cellStart[cell]++] = i;
        }

        for (var c = cells; c > 0; c--)
        {
            _cellStart[c] = _cellStart[c - 1];
        }

        _cellStart[0] = 0;
    }

    public int Nearest(Position point, Span<int> result)
    {
        if (_count == 0 || result.Length == 0)
        {
            return 0;
        }

        if (_bestDistance.Length < result.Length)
        {
            _bestDistance = new double[result.Length];
        }

        var k = result.Length;
        var cx = Math.Clamp((int)Math.Floor((point.X - _minX) / _cellSize), 0, _columns - 1);
        var cy = Math.Clamp((int)Math.Floor((point.Y - _minY) / _cellSize), 0, _rows - 1);
        var maxRing = Math.Max(Math.Max(cx, _columns - 1 - cx), Math.Max(cy, _rows - 1 - cy));
        var found = 0;
        for (var ring = 0; ring <= maxRing; ring++)
        {
            if (found == k && ring >= 1)
            {
                var bound = (ring - 1) * _cellSize;
                if (bound * bound > _bestDistance[k - 1])
                {
                    break;
                }
            }

            var x0 = cx - ring;
            var x1 = cx + ring;
            var y0 = cy - ring;
            var y1 = cy + ring;
            for (var y = Math.Max(y0, 0); y <= Math.Min(y1, _rows - 1); y++)
            {
                // On the top and bottom rows of the ring every cell counts; between them only
                // the two side cells.
                var full = y == y0 || y == y1;
                var step = full ? 1 : Math.Max(x1 - x0, 1);
                for (var x = x0; x <= x1; x += step)
                {
                    if (x < 0 || x >= _columns)
                    {
                        continue;
                    }

                    var cell = (y * _columns) + x;
                    for (var s = _cellStart[cell]; s < _cellStart[cell + 1]; s++)
                    {
                        var i = _items[s];
                        found = KBest.Offer(Position.DistanceSquared(point, _positions[i]), i, _bestDistance, result, found);
                    }
                }
            }
        }

        return found;
    }

    private int CellIndex(Position p)
    {
        var x = Math.Clamp((int)((p.X - _minX) / _cellSize), 0, _columns - 1);
        var y = Math.Clamp((int)((p.Y - _minY) / _cellSize), 0, _rows - 1);
        return (y * _columns) + x;
    }
}

/// <summary>Keeps the k smallest (distance, index) pairs in sorted arrays (k is small).</summary>
internal static class KBest
{
    public static int Offer(double distance, int index, double[] bestDistance, Span<int> bestIndex, int count)
    {
        var k = bestIndex.Length;
        if (count == k)
        {
            var worst = bestDistance[k - 1];
            if (distance > worst || (distance == worst && index > bestIndex[k - 1]))
            {
                return count;
            }
        }
        else
        {
            count++;
        }

        // Insertion step: shift larger entries right by one.
        var pos = count - 1;
        while (pos > 0 && (bestDistance[pos - 1] > distance || (bestDistance[pos - 1] == distance && bestIndex[pos - 1] > index)))
        {
            bestDistance[pos] = bestDistance[pos - 1];
            bestIndex[pos] = bestIndex[pos - 1];
            pos--;
        }

        bestDistance[pos] = distance;
        bestIndex[pos] = index;
        return count;
    }
}
