using System.Text.Json;
using Brigade.Catalog;

namespace Brigade.Simulation;

/// <summary>
/// Finds scenarios: a built-in by name (<c>pizza-rush</c>, <c>coffee-morning</c>, <c>city-day</c>)
/// or a scenario file. A file's catalog is "demo", or a path relative to the file; unknown
/// properties are errors, as in catalogs.
/// </summary>
public static class ScenarioLoader
{
    private const string ResourcePrefix = "Brigade.Simulation.Scenarios.";

    public static IReadOnlyList<string> BuiltIns { get; } = ["pizza-rush", "coffee-morning", "city-day"];

    /// <summary>A scenario and where its catalog comes from.</summary>
    public sealed record Loaded(ScenarioDocument Document, CatalogSource Catalogs, string Source);

    public static Loaded Load(string nameOrPath)
    {
        if (nameOrPath == "city-day")
            return new Loaded(SyntheticCity.Scenario(), Resolve(null), "built-in city-day");
        if (BuiltIns.Contains(nameOrPath))
            return new Loaded(Parse(Resource(nameOrPath + ".json"), "built-in " + nameOrPath), Resolve(null), "built-in " + nameOrPath);
        if (!File.Exists(nameOrPath))
            throw new ScenarioException([$"'{nameOrPath}' is neither a built-in scenario ({string.Join(", ", BuiltIns)}) nor a scenario file"]);
        var dir = Path.GetDirectoryName(Path.GetFullPath(nameOrPath))!;
        return new Loaded(Parse(File.ReadAllText(nameOrPath), nameOrPath), Resolve(dir), nameOrPath);
    }

    public static ScenarioDocument Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ScenarioJsonContext.Default.ScenarioDocument)
                ?? throw new ScenarioException([$"{source}: the file is empty"]);
        }
        catch (JsonException e)
        {
            throw new ScenarioException([$"{source}: {e.Message}"]);
        }
    }

    /// <summary>Catalog references: "demo" (default), the synthetic city, a built-in's companion catalog, or a file next to the scenario.</summary>
    private static CatalogSource Resolve(string? dir) => reference =>
    {
        string json;
        string source;
        if (reference is null or "demo") (json, source) = (CatalogLoader.DemoJson(), "built-in demo catalog");
        else if (reference == SyntheticCity.CatalogReference) return SyntheticCity.Catalog();
        else if (dir is null) (json, source) = (Resource(reference), "built-in " + reference);
        else
        {
            var path = Path.Combine(dir, reference);
            if (!File.Exists(path)) throw new CatalogException([$"catalog file '{path}' does not exist"]);
            (json, source) = (File.ReadAllText(path), path);
        }
        return CatalogLoader.ParseDocument(json, source);
    };

    private static string Resource(string name)
    {
        using var stream = typeof(ScenarioLoader).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new CatalogException([$"no built-in file {name}"]);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
