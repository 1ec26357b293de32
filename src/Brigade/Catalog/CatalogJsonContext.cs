using System.Text.Json;
using System.Text.Json.Serialization;
using Brigade.Catalog;

namespace Brigade.Catalog;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    // A property written twice (a pasted block edited in one copy) is named, not settled by the last one silently.
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CatalogDocument))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
