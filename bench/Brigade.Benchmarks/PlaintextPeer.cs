using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Brigade.Benchmarks;

/// <summary>
/// The HTTP ceiling: Kestrel answering "Hello, World!" with no middleware, on the same machine
/// and in the same run as Brigade, so that our figures are reported as ratios against it.
/// </summary>
public static class PlaintextPeer
{
    public static async Task RunAsync(string urls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var hello = "Hello, World!"u8.ToArray();
        app.MapGet("/plaintext", () => TypedResults.Bytes(hello, "text/plain"));
        await app.RunAsync();
    }
}
