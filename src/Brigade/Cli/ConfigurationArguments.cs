using System.CommandLine;

namespace Brigade.Cli;

/// <summary>
/// Configuration keys on the command line, the way ASP.NET Core reads them: <c>--Brigade:Limits:Burst=50</c>
/// or <c>--Brigade:Limits:Burst 50</c>. Only keys with a ':' are taken, so a mistyped option
/// (<c>--time-scal</c>, or <c>--time-scal:600</c>) is still a mistake and not a setting that nothing reads.
/// </summary>
internal static class ConfigurationArguments
{
    /// <summary>The name of the argument, shown in the verb's help.</summary>
    public const string Name = "--Section:Key=VALUE";

    /// <summary>
    /// The argument that takes the words a verb's options do not (configuration keys, and any mistake),
    /// for <see cref="Read"/> to sort out. An argument rather than unmatched tokens, so the verb's help
    /// shows the keys it takes rather than "additional arguments passed to the application".
    /// </summary>
    public static Argument<string[]> Create() => new(Name)
    {
        Description = "Any setting as a configuration key, over appsettings.json and the environment: --Brigade:Limits:Burst=50 or --Brigade:Limits:Burst 50",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The words the verb of <paramref name="parse"/> left to its configuration argument; none if it has none.</summary>
    public static IReadOnlyList<string> Tokens(ParseResult parse) =>
        parse.CommandResult.Command.Arguments.FirstOrDefault(a => a.Name == Name) is Argument<string[]> keys ? parse.GetValue(keys) ?? [] : [];

    /// <param name="Arguments">The keys as <c>--Key=value</c>, for the host's command-line configuration.</param>
    /// <param name="Problems">The tokens that are neither an option nor a configuration key with its value.</param>
    internal sealed record Reading(IReadOnlyList<string> Arguments, IReadOnlyList<string> Problems);

    /// <summary>Reads the tokens <paramref name="command"/>'s options did not take (<see cref="Tokens"/>).</summary>
    public static Reading Read(Command command, IReadOnlyList<string> tokens)
    {
        var arguments = new List<string>();
        var problems = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (Key(command, token) is not { } key)
            {
                // The words System.CommandLine uses for a token no verb takes, so the message reads the same either way.
                problems.Add($"Unrecognized command or argument '{token}'.");
                continue;
            }
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0) arguments.Add($"--{key}={token[(equals + 1)..]}");
            // The next token is the value unless it is another key or option (a negative number is a value).
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal)) arguments.Add($"--{key}={tokens[++i]}");
            else problems.Add($"{token} needs a value: {token}=VALUE or {token} VALUE");
        }
        return new(arguments, problems);
    }

    /// <summary>The configuration key <paramref name="token"/> names (<c>Brigade:Limits:Burst</c>), or null if it names none.</summary>
    private static string? Key(Command command, string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal)) return null;
        var key = token[2..].Split('=', 2)[0];
        var sections = key.Split(':');
        if (sections.Length < 2 || sections.Any(string.IsNullOrWhiteSpace)) return null;
        // An option of the verb, or one a slip away, written with a colon: a mistake, answered with "did you mean".
        var first = "--" + sections[0];
        if (command.Options.Any(o => o.Name == first || o.Aliases.Contains(first)) || BrigadeCli.ClosestOption(command, first) is not null) return null;
        return key;
    }
}
