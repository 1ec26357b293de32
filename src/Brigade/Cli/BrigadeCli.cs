using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;

namespace Brigade.Cli;

/// <summary>The verbs of the <c>brigade</c> executable. Each verb lives beside its feature.</summary>
public static class BrigadeCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Brigade: order-to-door platform for restaurants, coffee shops and delivery fleets.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(Mdrp.MdrpCommand.Create());
        root.Subcommands.Add(Simulation.SimulateCommand.Create());
        return root;
    }

    /// <summary>
    /// Runs the verb that <paramref name="args"/> name. A command line that does not parse (an
    /// unknown option, a word where a number belongs) is a mistake like any setting a verb refuses:
    /// a short message that names it on standard error (with the option most likely meant, for a
    /// misspelt one) and exit code 2, not the whole help text and 1.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        if (args.Length == 0)
        {
            // No verb: what the verbs are, as a usage mistake.
            await root.Parse(["--help"]).InvokeAsync();
            return 2;
        }
        var parse = root.Parse(args);
        // A verb that takes configuration keys (serve) takes every word its options do not; those that are not keys are mistakes.
        var command = parse.CommandResult.Command;
        var keys = ConfigurationArguments.Tokens(parse);
        var unread = ConfigurationArguments.Read(command, keys).Problems;
        if (parse.Action is not ParseErrorAction && unread.Count == 0) return await parse.InvokeAsync();
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Parent is null ? "brigade" : c.Command.Name);
        var prefix = string.Join(' ', names);
        foreach (var error in parse.Errors.Select(e => e.Message).Concat(unread)) Console.Error.WriteLine($"{prefix}: {error}");
        foreach (var token in parse.UnmatchedTokens.Concat(keys))
            if (ClosestOption(parse.CommandResult.Command, token) is { } meant)
                Console.Error.WriteLine($"{prefix}: did you mean {meant} rather than {token}?");
        Console.Error.WriteLine($"Run '{prefix} --help' to see what it takes.");
        return 2;
    }

    /// <summary>The option of <paramref name="command"/> a mistyped <paramref name="token"/> most likely meant: at most two edits away.</summary>
    internal static string? ClosestOption(Command command, string token)
    {
        if (!token.StartsWith('-')) return null;
        var name = token.Split('=', 2)[0];
        string? best = null;
        var bestDistance = 3;
        foreach (var option in command.Options)
            foreach (var candidate in option.Aliases.Append(option.Name))
            {
                var d = Hosting.Spelling.Distance(name, candidate);
                if (d > 0 && d < bestDistance) (best, bestDistance) = (candidate, d);
            }
        return best;
    }

    /// <summary>An option that takes a whole number, whose bad value is named as such ("must be a whole number, not '1.5'"), not by a .NET type.</summary>
    public static Option<int> WholeNumberOption(string name, string description, Func<int> defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue(),
        CustomParser = result => ParseWhole(name, result) ?? 0,
    };

    /// <summary>As <see cref="WholeNumberOption(string, string, Func{int})"/>, for an option with no default.</summary>
    public static Option<int?> WholeNumberOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => ParseWhole(name, result),
    };

    private static int? ParseWhole(string name, System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{name} must be a whole number from {int.MinValue} to {int.MaxValue}, not '{text}'");
        return null;
    }

    /// <summary>An option that takes a number, whose bad value is named as such ("must be a number, not 'abc'"), not by a .NET type.</summary>
    public static Option<double?> NumberOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
            result.AddError($"{name} must be a number, not '{text}'");
            return null;
        },
    };
}
