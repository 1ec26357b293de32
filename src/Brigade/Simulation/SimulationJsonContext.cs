using System.Text.Json;
using System.Text.Json.Serialization;

namespace Brigade.Simulation;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ScenarioDocument))]
internal sealed partial class ScenarioJsonContext : JsonSerializerContext;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SimulationReportFile))]
internal sealed partial class SimulationResultJsonContext : JsonSerializerContext;

/// <summary>The JSON file a run writes: every variant's result, side by side.</summary>
public sealed record SimulationReportFile(string Scenario, int Seed, IReadOnlyList<SimulationResult> Variants);
