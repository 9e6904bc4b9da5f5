using Kekbit.Core;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Checks one damaged channel file: written to a real file (in /dev/shm), opened and read with the real
/// <see cref="ShmReader"/>, compared with <see cref="ReferenceReader"/>, then a resume position is tried.
/// Opening and reading may only succeed or throw <see cref="ChannelException"/>; anything else, or an outcome
/// that differs from the model, saves the input under <c>failed-inputs/</c> beside the tests and fails.
/// </summary>
internal static class FuzzCheck
{
    /// <summary>Checks <paramref name="file"/>; gives the outcome both readers agreed on.</summary>
    public static ChannelOutcome Check(byte[] file, string scratchFile, string description, long seekTo)
    {
        File.WriteAllBytes(scratchFile, file);
        ChannelOutcome expected = ReferenceReader.Read(file);
        ChannelOutcome actual;
        try
        {
            actual = ShmReaderProbe.Read(scratchFile, seekTo);
        }
        catch (Exception e)
        {
            string saved = Save(file, description);
            throw new Xunit.Sdk.XunitException($"{description}: the reader threw {e.GetType().Name} ({e.Message}); input saved as {saved}", e);
        }

        if (!actual.SameAs(expected))
        {
            string saved = Save(file, description);
            Assert.Fail($"{description}: the reader gave '{actual.Describe()}' where the format says '{expected.Describe()}'; input saved as {saved}");
        }

        return expected;
    }

    /// <summary>Keeps a failing input, to be copied into RegressionInputs/ once the bug is fixed.</summary>
    private static string Save(byte[] file, string description)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "failed-inputs");
        Directory.CreateDirectory(folder);
        string name = Path.Combine(folder, $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file))[..16]}.kekbit");
        File.WriteAllBytes(name, file);
        File.WriteAllText(Path.ChangeExtension(name, ".txt"), description + Environment.NewLine);
        return name;
    }
}
