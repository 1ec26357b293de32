using System.Text;
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
        if (Directory.Exists(path)) throw new CatalogException([$"catalog file '{path}' is a directory; name the JSON file in it"]);
        if (!File.Exists(path)) throw new CatalogException([$"catalog file '{path}' does not exist"]);
        return Parse(ReadText(path), path);
    }

    /// <summary>
    /// The file's text: UTF-8 (with or without a byte order mark), or UTF-16/32 when a byte order mark
    /// says so. Bytes that are not UTF-8 (a file saved as Latin-1) are refused, where the lenient
    /// decoder would turn them into U+FFFD in the names shown to customers.
    /// </summary>
    private static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var bom = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
        if (bom == 0 && bytes is [0xFE, 0xFF, ..] or [0xFF, 0xFE, ..]) return File.ReadAllText(path); // UTF-16 or UTF-32, by its mark
        try
        {
            return utf8.GetString(bytes, bom, bytes.Length - bom);
        }
        catch (DecoderFallbackException e)
        {
            var at = bom + Math.Max(0, e.Index);
            var line = 1 + bytes.AsSpan(0, Math.Min(at, bytes.Length)).Count((byte)'\n');
            throw new CatalogException([$"{path}: the file is not UTF-8 text (byte {Convert.ToHexString(e.BytesUnknown ?? [])} on line {line}); save it as UTF-8"]);
        }
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
            // Most messages end with where in the file; some (a duplicate property) name only the type.
            var where = e.Message.Contains("Path: ", StringComparison.Ordinal) || e.Path is null ? "" : $" Path: {e.Path} | LineNumber: {e.LineNumber}";
            throw new CatalogException([$"{source}: {e.Message}{where}"]);
        }
        return doc ?? throw new CatalogException([$"{source}: the file is empty"]);
    }
}
