namespace Kekbit.Reliability.Tests;

/// <summary>
/// Reports a scenario's measured figures (kills survived, files fuzzed, records read) to the test output and,
/// when <c>KEKBIT_FIGURES</c> names a file, appends them there, which is how README's numbers are collected.
/// </summary>
internal static class Figures
{
    private static readonly Lock Gate = new();

    public static void Report(string scenario, string figures)
    {
        string line = $"{scenario}: {figures}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        string? file = Environment.GetEnvironmentVariable("KEKBIT_FIGURES");
        if (!string.IsNullOrEmpty(file))
        {
            lock (Gate)
            {
                File.AppendAllText(file, line + Environment.NewLine);
            }
        }
    }
}
