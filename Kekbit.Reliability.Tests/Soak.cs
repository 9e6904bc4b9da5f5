using System.Globalization;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scales the scenarios' iteration counts. CI runs them once (factor 1); set <c>KEKBIT_SOAK=N</c> to run N
/// times as many kills, fuzzed files and records (<c>KEKBIT_SOAK=1</c> means 10).
/// </summary>
internal static class Soak
{
    public static int Factor { get; } = ParseFactor(Environment.GetEnvironmentVariable("KEKBIT_SOAK"));

    /// <summary><paramref name="ciCount"/> multiplied by the soak factor.</summary>
    public static int Scale(int ciCount) => checked(ciCount * Factor);

    /// <summary>A seed for random inputs: KEKBIT_SEED when set (to replay a failure), else fresh, and always printed by the tests.</summary>
    public static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("KEKBIT_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : Random.Shared.Next();

    private static int ParseFactor(string? text) => text switch
    {
        null or "" or "0" => 1,
        "1" => 10,
        _ => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 1 ? n : 1,
    };
}
