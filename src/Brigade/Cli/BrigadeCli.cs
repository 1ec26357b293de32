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
    /// one line that names it on standard error and exit code 2, not the whole help text and 1.
    /// </summary>
    public static Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Action is not ParseErrorAction) return parse.InvokeAsync();
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Parent is null ? "brigade" : c.Command.Name);
        var prefix = string.Join(' ', names);
        foreach (var error in parse.Errors) Console.Error.WriteLine($"{prefix}: {error.Message}");
        Console.Error.WriteLine($"Run '{prefix} --help' to see what it takes.");
        return Task.FromResult(2);
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
