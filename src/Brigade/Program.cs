using Brigade.Cli;

return await BrigadeCli.RunAsync(args);
