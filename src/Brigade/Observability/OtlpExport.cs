using Brigade.Hosting;
using Brigade.Storage;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Brigade.Observability;

/// <summary>Optional: the same instruments pushed over OTLP (gRPC by default) to a collector, when <c>Brigade:Telemetry:OtlpEndpoint</c> is set.</summary>
public static class OtlpExport
{
    public static MeterProvider Create(TelemetryOptions telemetry) =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(BrigadeMetrics.MeterName, StoreMetrics.MeterName, PrometheusExporter.RuntimeMeterName)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(telemetry.OtlpEndpoint!);
                o.Protocol = string.Equals(telemetry.OtlpProtocol, "http/protobuf", StringComparison.OrdinalIgnoreCase) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            })
            .Build();
}
