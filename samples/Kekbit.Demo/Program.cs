// The demo: `dotnet run --project samples/Kekbit.Demo`. With no arguments this program conducts the run; it
// starts itself again as a writer process and two reader processes (the roles below), shows their progress,
// and prints what each reader received, throughput and latency. Exit code 0 only if every check passed.
using Kekbit.Demo;

return args switch
{
    [] => Conductor.Run(DemoSettings.Default),
    ["--records", string count] when int.TryParse(count, out int records) && records > 0 => Conductor.Run(DemoSettings.Default with { BurstRecords = records }),
    [Roles.Writer, string root, string records] => WriterRole.Run(root, int.Parse(records, System.Globalization.CultureInfo.InvariantCulture)),
    [Roles.RxReader, string root] => await RxReaderRole.Run(root),
    [Roles.AsyncReader, string root] => await AsyncReaderRole.Run(root),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Kekbit.Demo [--records N]");
    Console.Error.WriteLine("  runs a writer process and two reader processes on a fresh channel and reports what they saw.");
    return 2;
}
