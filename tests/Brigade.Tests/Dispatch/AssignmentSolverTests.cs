using Brigade.Dispatch;
using FsCheck;
using FsCheck.Fluent;

namespace Brigade.Tests.Dispatch;

public class AssignmentSolverTests
{
    /// <summary>A small random sparse instance built from a seed.</summary>
    private sealed record Instance(int Rows, int Columns, List<(int Row, int Column, long Cost)> Edges, long[] Unassigned)
    {
        public static Instance FromSeed(int seed)
        {
            var random = new Random(seed);
            var rows = random.Next(0, 7);
            var columns = random.Next(0, 6);
            var density = random.NextDouble();
            var edges = new List<(int, int, long)>();
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    if (random.NextDouble() < density)
                    {
                        edges.Add((r, c, random.Next(-20, 60)));
                    }
                }
            }

            var unassigned = new long[rows];
            for (var r = 0; r < rows; r++)
            {
                unassigned[r] = random.Next(0, 70);
            }

            return new Instance(rows, columns, edges, unassigned);
        }

        public (int[] RowStart, int[] Column, long[] Cost) ToCsr()
        {
            var start = new int[Rows + 1];
            var column = new int[Edges.Count];
            var cost = new long[Edges.Count];
            var e = 0;
            for (var r = 0; r < Rows; r++)
            {
                start[r] = e;
                foreach (var edge in Edges)
                {
                    if (edge.Row == r)
                    {
                        column[e] = edge.Column;
                        cost[e] = edge.Cost;
                        e++;
                    }
                }
            }

            start[Rows] = e;
            return (start, column, cost);
        }

        /// <summary>Exhaustive search: every row takes one of its edges to an unused column or
        /// stays unassigned.</summary>
        public long BruteForce()
        {
            var used = new bool[Columns];
            return Search(0, used);
        }

        private long Search(int row, bool[] used)
        {
            if (row == Rows)
            {
                return 0;
            }

            var best = Unassigned[row] + Search(row + 1, used);
            foreach (var (r, c, cost) in Edges)
            {
                if (r != row || used[c])
                {
                    continue;
                }

                used[c] = true;
                best = Math.Min(best, cost + Search(row + 1, used));
                used[c] = false;
            }

            return best;
        }
    }

    private static (long Total, int[] Assignment) Solve(AssignmentSolver solver, Instance instance)
    {
        var (start, column, cost) = instance.ToCsr();
        var assignment = new int[instance.Rows];
        var total = solver.Solve(instance.Columns, start, column, cost, instance.Unassigned, assignment);
        return (total, assignment);
    }

    private static long CostOf(Instance instance, int[] assignment)
    {
        long total = 0;
        for (var r = 0; r < instance.Rows; r++)
        {
            if (assignment[r] < 0)
            {
                total += instance.Unassigned[r];
            }
            else
            {
                total += instance.Edges.Where(e => e.Row == r && e.Column == assignment[r]).Min(e => e.Cost);
            }
        }

        return total;
    }

    [Fact]
    public void Matches_brute_force_on_small_random_instances()
    {
        // One solver for every case, so stale buffers between calls would show up too.
        var solver = new AssignmentSolver();
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var instance = Instance.FromSeed(seed);
            var (total, assignment) = Solve(solver, instance);
            return total == instance.BruteForce() && total == CostOf(instance, assignment);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), property);
    }

    [Fact]
    public void Never_gives_a_column_to_two_rows_and_only_uses_candidate_edges()
    {
        var solver = new AssignmentSolver();
        var property = Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var instance = Instance.FromSeed(seed);
            var (_, assignment) = Solve(solver, instance);
            var taken = assignment.Where(c => c >= 0).ToList();
            var edgesOk = Enumerable.Range(0, instance.Rows)
                .All(r => assignment[r] < 0 || instance.Edges.Any(e => e.Row == r && e.Column == assignment[r]));
            return taken.Distinct().Count() == taken.Count && edgesOk;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
    }

    [Fact]
    public void A_large_unassigned_cost_maximises_the_number_assigned()
    {
        // Row 0 can take column 0 or 1, row 1 only column 0. The cheap choice for row 0 (column 0)
        // would leave row 1 out; with a large unassigned cost both must be served.
        var solver = new AssignmentSolver();
        int[] start = [0, 2, 3];
        int[] column = [0, 1, 0];
        long[] cost = [1, 50, 40];
        var assignment = new int[2];
        var total = solver.Solve(2, start, column, cost, [1000, 1000], assignment);
        Assert.Equal([1, 0], assignment);
        Assert.Equal(90, total);
    }

    [Fact]
    public void Leaves_a_row_out_when_serving_it_costs_more_than_its_unassigned_cost()
    {
        var solver = new AssignmentSolver();
        int[] start = [0, 1];
        int[] column = [0];
        long[] cost = [500];
        var assignment = new int[1];
        var total = solver.Solve(1, start, column, cost, [100], assignment);
        Assert.Equal(-1, assignment[0]);
        Assert.Equal(100, total);
    }

    [Fact]
    public void Rejects_an_edge_to_a_column_that_does_not_exist()
    {
        var solver = new AssignmentSolver();
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            solver.Solve(1, [0, 1], [3], [1], [10], new int[1]));
    }
}
