namespace Brigade.Hosting;

/// <summary>Server settings. From the command line, environment (Brigade__DataDir, …) or appsettings (section "Brigade").</summary>
public sealed class BrigadeOptions
{
    public const string Section = "Brigade";
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Where data is kept; created if missing.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Catalog file; null for the built-in demo catalog.</summary>
    public string? Catalog { get; set; }

    /// <summary>The kitchen clock runs this many times faster than real time.</summary>
    public double TimeScale { get; set; } = 1;
}
