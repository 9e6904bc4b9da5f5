using Kekbit.Tool;

using var interruption = Interruption.ForProcess();
return KekbitCli.Run(args, ToolConsole.CreateSystem(interruption));
