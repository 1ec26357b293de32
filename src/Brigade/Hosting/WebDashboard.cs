using Microsoft.Net.Http.Headers;

namespace Brigade.Hosting;

/// <summary>
/// The web dashboard: plain HTML, CSS and JavaScript modules in <c>wwwroot</c> beside the
/// executable, served as they are (<c>/</c> is <c>index.html</c>). Pages talk to the API like any
/// other client; nothing is loaded from anywhere else, and the security policy says so.
/// </summary>
public static class WebDashboard
{
    private const string SecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseWebDashboard(this WebApplication app)
    {
        // Only for paths that can be files: an API call never pays for a file lookup.
        app.UseWhen(http => !IsServerPath(http.Request.Path), page => page.UseDefaultFiles().UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                // Revalidate every time (ETag / Last-Modified): a new release shows at once.
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                if (ctx.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
                {
                    headers.ContentSecurityPolicy = SecurityPolicy;
                    headers[HeaderNames.XFrameOptions] = "DENY";
                    headers["Referrer-Policy"] = "no-referrer";
                }
            },
        }));
        return app;
    }

    private static bool IsServerPath(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/openapi");
}
