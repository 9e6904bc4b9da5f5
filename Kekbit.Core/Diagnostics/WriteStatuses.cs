namespace Kekbit.Core.Diagnostics;

/// <summary>The <see cref="WriteStatus"/> values as the metrics count and name them.</summary>
internal static class WriteStatuses
{
    private static readonly WriteStatus[] All = Enum.GetValues<WriteStatus>();

    /// <summary>One more than the largest status value: the length of an array indexed by status.</summary>
    public static int Count { get; } = All.Max(status => (int)status) + 1;

    /// <summary>The statuses a writer refuses a write with (all but <see cref="WriteStatus.Success"/> and the retry writer's <see cref="WriteStatus.WouldWait"/>).</summary>
    public static WriteStatus[] Refusals { get; } = [.. All.Where(status => status is not (WriteStatus.Success or WriteStatus.WouldWait))];

    /// <summary>A status as the <see cref="KekbitMetrics.WriteStatusTag"/> tag spells it: snake case, <c>record_too_large</c>.</summary>
    public static string TagOf(WriteStatus status) => TagNames[(int)status];

    private static readonly string[] TagNames = CreateTagNames();

    private static string[] CreateTagNames()
    {
        string[] names = new string[Count];
        foreach (WriteStatus status in All)
        {
            string name = status.ToString();
            var snake = new System.Text.StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0)
                {
                    snake.Append('_');
                }

                snake.Append(char.ToLowerInvariant(name[i]));
            }

            names[(int)status] = snake.ToString();
        }

        return names;
    }
}
