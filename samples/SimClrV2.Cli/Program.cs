return SimClrV2.Cli.CliApp.Run(args, Console.Out, Console.Error);
