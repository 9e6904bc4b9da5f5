using System.Globalization;
using System.Text;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// CPU time per thread of this process (/proc/self/task/*/schedstat, nanoseconds, with each thread's name), to attribute
/// an idle process's CPU over a window: which threads (thread pool, timers, doorbell waiters, tiered compilation, GC...)
/// used it. Linux only; elsewhere the snapshots are empty.
/// </summary>
internal static class ThreadCpu
{
    /// <summary>The CPU time of every thread of this process now, by thread id, with its name.</summary>
    public static Dictionary<int, (string Name, long Nanoseconds)> Snapshot()
    {
        var threads = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return threads;
        }

        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                int id = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                long nanoseconds = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                threads[id] = (name, nanoseconds);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The thread ended while it was read.
            }
        }

        return threads;
    }

    /// <summary>
    /// The CPU each group of threads (by name; threads that ended in between count under "(ended)") used between two
    /// snapshots, in percent of one core over <paramref name="wall"/>, largest first, on one line.
    /// </summary>
    public static string Attribute(Dictionary<int, (string Name, long Nanoseconds)> before, Dictionary<int, (string Name, long Nanoseconds)> after, TimeSpan wall)
    {
        var groups = new Dictionary<string, (int Threads, long Nanoseconds)>();
        foreach ((int id, (string name, long nanoseconds)) in after)
        {
            long used = before.TryGetValue(id, out var earlier) ? nanoseconds - earlier.Nanoseconds : nanoseconds;
            groups[name] = groups.TryGetValue(name, out var group) ? (group.Threads + 1, group.Nanoseconds + used) : (1, used);
        }

        var text = new StringBuilder();
        foreach ((string name, (int threads, long nanoseconds)) in groups.OrderByDescending(g => g.Value.Nanoseconds))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name} x{threads}: {nanoseconds / 1e7 / wall.TotalSeconds:F3}%; ");
        }

        return text.ToString().TrimEnd(' ', ';');
    }
}
