using System.CommandLine;
using Brigade.Auth;
using Brigade.Hosting;
using Brigade.Http;

namespace Brigade.Cli;

/// <summary>
/// <c>brigade token --role R --subject ID [--outlet ID] [--data-dir DIR] [--hours N]</c>: prints a
/// token that a server using the same data directory (or the same configured signing key) accepts.
/// </summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "customer, staff, courier or admin", Required = true };
        var subject = new Option<string>("--subject") { Description = "Who the token is for: a customer id, a staff member, a courier id (couriers act as this id)", Required = true };
        var outlet = new Option<string>("--outlet") { Description = "For staff: the outlet they work at" };
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory, where its signing key is (default ./data)" };
        var hours = BrigadeCli.NumberOption("--hours", "How long the token is valid (default 24)");

        var command = new Command("token", "Print a token for the API, signed with the server's key") { role, subject, outlet, dataDir, hours };
        command.SetAction(parse =>
        {
            var r = parse.GetValue(role)!;
            var s = parse.GetValue(subject)!;
            var o = parse.GetValue(outlet);
            if (r is not (Roles.Customer or Roles.Staff or Roles.Courier or Roles.Admin)) return Fail($"--role must be customer, staff, courier or admin, not '{r}'");
            if (!Ids.LooksLikeId(s)) return Fail("--subject must be 1-64 letters, digits, '-' or '_'");
            if (r == Roles.Staff && (o is null || !Ids.LooksLikeId(o))) return Fail("a staff token needs --outlet ID");
            if (r != Roles.Staff && o is not null) return Fail("--outlet is only for staff tokens");
            var lifetime = parse.GetValue(hours) ?? 24;
            if (!(lifetime > 0 && lifetime <= 24 * 366)) return Fail("--hours must be a positive number of hours, at most a year");

            var config = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .Build();
            try
            {
                var options = BrigadeOptions.Bind(config);
                if (parse.GetValue(dataDir) is { } d) options.DataDir = d;
                // The key file is looked for in it: an empty path would stop the verb with a stack trace.
                if (string.IsNullOrWhiteSpace(options.DataDir)) return Fail($"--data-dir must name a directory (or Brigade:DataDir), not '{options.DataDir}'");
                var tokens = TokenService.FromOptions(options);
                Console.Out.WriteLine(tokens.Issue(r, s, o, TimeSpan.FromHours(lifetime)));
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or FormatException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("brigade token: " + message);
        return 2;
    }
}
