using System.Globalization;

namespace Brigade.Mdrp;

/// <summary>One line of solution_info_assignments.txt.</summary>
public sealed record MdrpAssignmentRecord(double AssignmentTime, double PickupTime, string Courier, IReadOnlyList<string> Orders);

/// <summary>One line of solution_info_orders.txt (a delivered order).</summary>
public sealed record MdrpOrderRecord(string Order, double PlacementTime, double ReadyTime, double PickupTime, double DropoffTime, string Courier);

/// <summary>One line of solution_info_couriers.txt. Origin "0" is the courier's start point;
/// otherwise origin and destination are restaurant or order ids.</summary>
public sealed record MdrpMoveRecord(string Courier, double DepartureTime, string Origin, string Destination);

/// <summary>A solution as written to (and read back from) the three solution files.</summary>
public sealed class MdrpSolution
{
    public const string StartPoint = "0";

    public List<MdrpAssignmentRecord> Assignments { get; } = [];

    public List<MdrpOrderRecord> Orders { get; } = [];

    public List<MdrpMoveRecord> Moves { get; } = [];
}

/// <summary>Reads and writes the solution files (whitespace-separated, header line first).</summary>
public static class MdrpSolutionFormat
{
    public const string AssignmentsFile = "solution_info_assignments.txt";
    public const string OrdersFile = "solution_info_orders.txt";
    public const string CouriersFile = "solution_info_couriers.txt";

    public static void Write(MdrpSolution solution, TextWriter assignments, TextWriter orders, TextWriter couriers)
    {
        assignments.Write("assignment_time pickup_time courier order\n");
        foreach (var a in solution.Assignments)
        {
            assignments.Write($"{Time(a.AssignmentTime)} {Time(a.PickupTime)} {a.Courier} {string.Join(' ', a.Orders)}\n");
        }

        // The reference evaluator reads this file with single-space separators.
        orders.Write("order placement_time ready_time pickup_time dropoff_time courier\n");
        foreach (var o in solution.Orders)
        {
            orders.Write($"{o.Order} {Time(o.PlacementTime)} {Time(o.ReadyTime)} {Time(o.PickupTime)} {Time(o.DropoffTime)} {o.Courier}\n");
        }

        couriers.Write("courier departure_time origin destination\n");
        foreach (var m in solution.Moves)
        {
            couriers.Write($"{m.Courier} {Time(m.DepartureTime)} {m.Origin} {m.Destination}\n");
        }
    }

    public static MdrpSolution Read(TextReader assignments, TextReader orders, TextReader couriers)
    {
        var solution = new MdrpSolution();
        foreach (var (line, f) in MdrpParser.Rows(assignments, AssignmentsFile, 4))
        {
            solution.Assignments.Add(new MdrpAssignmentRecord(Number(f[0], AssignmentsFile, line), Number(f[1], AssignmentsFile, line), f[2], f[3..]));
        }

        foreach (var (line, f) in MdrpParser.Rows(orders, OrdersFile, 6))
        {
            solution.Orders.Add(new MdrpOrderRecord(
                f[0], Number(f[1], OrdersFile, line), Number(f[2], OrdersFile, line), Number(f[3], OrdersFile, line), Number(f[4], OrdersFile, line), f[5]));
        }

        foreach (var (line, f) in MdrpParser.Rows(couriers, CouriersFile, 4))
        {
            solution.Moves.Add(new MdrpMoveRecord(f[0], Number(f[1], CouriersFile, line), f[2], f[3]));
        }

        return solution;
    }

    /// <summary>Whole minutes print as integers; fractions (odd service times) keep their digits.</summary>
    public static string Time(double minutes) => minutes.ToString("0.######", CultureInfo.InvariantCulture);

    private static double Number(string text, string file, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new FormatException($"{file} line {line}: '{text}' is not a number.");
}
