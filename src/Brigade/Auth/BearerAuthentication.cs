using System.Text.Encodings.Web;
using Brigade.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Brigade.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;jwt&gt;</c>; for GET requests also <c>?access_token=</c>, because a
/// browser's EventSource and WebSocket cannot set headers. Refusals are problem+json.
/// </summary>
public sealed class BearerAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private const string ErrorKey = "brigade.auth.error";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        ReadOnlySpan<char> token;
        var header = Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Fail("send the token as 'Authorization: Bearer <token>'");
            token = header.AsSpan(7).Trim();
        }
        else if (HttpMethods.IsGet(Request.Method) && Request.Query.TryGetValue("access_token", out var query))
        {
            token = query.ToString();
        }
        else
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var (principal, error) = tokens.Validate(token);
        if (principal is null) return Fail(error!);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    private Task<AuthenticateResult> Fail(string error)
    {
        Context.Items[ErrorKey] = error;
        return Task.FromResult(AuthenticateResult.Fail(error));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var error = Context.Items[ErrorKey] as string;
        Response.Headers.WWWAuthenticate = error is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        var detail = error is null
            ? "This needs a token: send 'Authorization: Bearer <token>' (get one with `brigade token`, or POST /api/auth/guest for a customer)."
            : $"The token was refused: {error}.";
        return Problems.Of(401, "unauthenticated", "Unauthorized", detail).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Access.Forbidden($"A {Caller.From(Context).Role} token may not do this.").ExecuteAsync(Context);
}
