using Brigade.Mdrp;

namespace Brigade.Tests.Mdrp;

/// <summary>Locates the shared MDRP instances: the folder <c>shared/mdrp</c> beside the
/// repository (found by walking up to the directory holding Brigade.slnx).</summary>
internal static class MdrpData
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static string Root => Folder.Value;

    public static MdrpInstance Load(string name) => MdrpCommand.Load(Path.Combine(Root, name));

    private static string Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Brigade.slnx")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException($"Brigade.slnx not found above {AppContext.BaseDirectory}; cannot locate the MDRP instances.");
        }

        var folder = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "mdrp"));
        if (!Directory.Exists(folder) || !Directory.EnumerateDirectories(folder).Any())
        {
            throw new InvalidOperationException(
                $"MDRP instances missing: expected them in {folder} (the folder shared/mdrp beside the repository).");
        }

        return folder;
    }
}

/// <summary>A hand-made instance small enough to check by hand.</summary>
/// <remarks>
/// 100 metres per minute, 4-minute services. Restaurant r1 at (0,0), r2 at (1000,0).
/// o1 (0,600) from r1, placed 0, ready 10; o2 (0,900) from r1, placed 2, ready 12;
/// o3 (1000,600) from r2, placed 5, ready 20. Courier c1 starts at (0,300), c2 at (1000,300),
/// both on 0 to 100. A feasible solution: at 5, c1 takes o1 then o2 (3 minutes to r1, arrives
/// 8, collects at max(12, 10) = 12, leaves 14, 6 minutes to o1: drop 22, leaves 24, 3 minutes
/// to o2: drop 29); at 6, c2 takes o3 (arrives 9, collects at 20, leaves 22, drop 30).
/// </remarks>
internal static class TinyInstance
{
    public const string Restaurants = "restaurant\tx\ty\nr1\t0\t0\nr2\t1000\t0\n";
    public const string Orders = "order\tx\ty\tplacement_time\trestaurant\tready_time\no1\t0\t600\t0\tr1\t10\no2\t0\t900\t2\tr1\t12\no3\t1000\t600\t5\tr2\t20\n";
    public const string Couriers = "courier\tx\ty\ton_time\toff_time\nc1\t0\t300\t0\t100\nc2\t1000\t300\t0\t100\n";
    public const string Parameters = "meters_per_minute\tpickup service minutes\tdropoff service minutes\ttarget click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n100\t4\t4\t40\t90\t10\t15\n";

    public const string Assignments = "assignment_time pickup_time courier order\n5 12 c1 o1 o2\n6 20 c2 o3\n";
    public const string OrderLines = "order placement_time ready_time pickup_time dropoff_time courier\no1 0 10 12 22 c1\no2 2 12 12 29 c1\no3 5 20 20 30 c2\n";
    public const string Moves = "courier departure_time origin destination\nc1 5 0 r1\nc1 14 r1 o1\nc1 24 o1 o2\nc2 6 0 r2\nc2 22 r2 o3\n";

    /// <summary>Write the instance's four files into <paramref name="folder"/> (created), as the published instances are laid out; returns the folder.</summary>
    public static string WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "restaurants.txt"), Restaurants);
        File.WriteAllText(Path.Combine(folder, "orders.txt"), Orders);
        File.WriteAllText(Path.Combine(folder, "couriers.txt"), Couriers);
        File.WriteAllText(Path.Combine(folder, "instance_parameters.txt"), Parameters);
        return folder;
    }

    public static MdrpInstance Instance(string? couriers = null, string? orders = null) =>
        MdrpParser.Parse("tiny", new StringReader(Restaurants), new StringReader(orders ?? Orders), new StringReader(couriers ?? Couriers), new StringReader(Parameters));

    public static MdrpSolution Solution(string? assignments = null, string? orders = null, string? moves = null) =>
        MdrpSolutionFormat.Read(new StringReader(assignments ?? Assignments), new StringReader(orders ?? OrderLines), new StringReader(moves ?? Moves));
}
