using Brigade.Cli;

return await BrigadeCli.Build().Parse(args).InvokeAsync();
