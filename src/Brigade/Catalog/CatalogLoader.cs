using System.Text.Json;
using Brigade.Catalog;

namespace Brigade.Catalog;

/// <summary>Reads catalog files (JSON) and compiles them. Unknown properties are errors, so a typo in a file is named, not ignored.</summary>
public static class CatalogLoader
{
    private const string DemoResource = "Brigade.Catalog.demo-catalog.json";

    public static RestaurantCatalog LoadDemo()
    {
        using var stream = typeof(CatalogLoader).Assembly.GetManifestResourceStream(DemoResource)
            ?? throw new InvalidOperationException($"Missing embedded resource {DemoResource}");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "built-in demo catalog");
    }

    public static string DemoJson()
    {
        using var stream = typeof(CatalogLoader).Assembly.GetManifestResourceStream(DemoResource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static RestaurantCatalog LoadFile(string path)
    {
        if (!File.Exists(path)) throw new CatalogException([$"catalog file '{path}' does not exist"]);
        return Parse(File.ReadAllText(path), path);
    }

    public static RestaurantCatalog Load(string? path) => path is null ? LoadDemo() : LoadFile(path);

    public static RestaurantCatalog Parse(string json, string source) => CatalogCompiler.Compile(ParseDocument(json, source));

    /// <summary>The catalog file as written, not yet validated (scenario variants change it before it is compiled).</summary>
    public static CatalogDocument ParseDocument(string json, string source)
    {
        CatalogDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogDocument);
        }
        catch (JsonException e)
        {
            throw new CatalogException([$"{source}: {e.Message}"]);
        }
        return doc ?? throw new CatalogException([$"{source}: the file is empty"]);
    }
}
