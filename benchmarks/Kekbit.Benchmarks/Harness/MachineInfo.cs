using System.Globalization;
using System.Runtime.InteropServices;

namespace Kekbit.Benchmarks.Harness;

/// <summary>The machine a run measured, as every result file reports it: figures mean nothing without it.</summary>
internal sealed record MachineInfo(
    int Cores,
    string CpuModel,
    string Kernel,
    string OperatingSystem,
    string DotNet,
    string LoadAverageAtStart,
    string Folder,
    DateTime StartedUtc)
{
    /// <summary>Reads the machine's description now (the load average is the one at this moment).</summary>
    public static MachineInfo Capture(string folder) => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.Version.ToString(),
        RuntimeInformation.OSDescription.Trim(),
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture})",
        LoadAverage(),
        folder,
        DateTime.UtcNow);

    /// <summary>One markdown line for the top of a report.</summary>
    public string ToMarkdown() => string.Create(CultureInfo.InvariantCulture,
        $"Machine: {Cores} cores, {CpuModel}, kernel {Kernel}, {OperatingSystem}, {DotNet}; load average at start {LoadAverageAtStart} (1, 5, 15 min); files under {Folder}; started {StartedUtc:yyyy-MM-dd HH:mm} UTC.");

    /// <summary>The 1-, 5- and 15-minute load averages, as /proc/loadavg has them.</summary>
    public static string LoadAverage()
    {
        string? line = ReadFirstLine("/proc/loadavg");
        return line is null ? "unknown" : string.Join(' ', line.Split(' ').Take(3));
    }

    private static string ReadCpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string? ReadFirstLine(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadLines(file).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
