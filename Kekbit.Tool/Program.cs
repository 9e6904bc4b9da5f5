using Kekbit.Tool;

return KekbitCli.Run(args, ToolConsole.CreateSystem());
