using System.CommandLine;

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
}
